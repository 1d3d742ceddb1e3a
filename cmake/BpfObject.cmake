# bpf_skeleton(NAME SOURCE): compiles bpf/SOURCE with clang for the BPF target (CO-RE, BTF),
# links it with bpftool (which strips DWARF) and generates NAME.skel.h. Adds an interface
# library NAME_skel whose include directory holds the skeleton header.

find_program(BPF_CLANG NAMES clang clang-16 clang-15 clang-14 REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)

set(TCPSIGHT_VMLINUX_BTF /sys/kernel/btf/vmlinux CACHE FILEPATH "kernel BTF used to generate vmlinux.h")
set(TCPSIGHT_VMLINUX_H "" CACHE FILEPATH "use this vmlinux.h instead of generating one")
set(BPF_GEN_DIR ${CMAKE_BINARY_DIR}/bpf)
file(MAKE_DIRECTORY ${BPF_GEN_DIR})

if(TCPSIGHT_VMLINUX_H)
  configure_file(${TCPSIGHT_VMLINUX_H} ${BPF_GEN_DIR}/vmlinux.h COPYONLY)
elseif(EXISTS ${TCPSIGHT_VMLINUX_BTF})
  add_custom_command(
    OUTPUT ${BPF_GEN_DIR}/vmlinux.h
    COMMAND ${BPFTOOL} btf dump file ${TCPSIGHT_VMLINUX_BTF} format c > ${BPF_GEN_DIR}/vmlinux.h
    DEPENDS ${TCPSIGHT_VMLINUX_BTF}
    COMMENT "Generating vmlinux.h from ${TCPSIGHT_VMLINUX_BTF}")
else()
  message(FATAL_ERROR "No kernel BTF at ${TCPSIGHT_VMLINUX_BTF}: build on a kernel with "
                      "CONFIG_DEBUG_INFO_BTF=y or pass -DTCPSIGHT_VMLINUX_H=/path/to/vmlinux.h")
endif()

# One target owns vmlinux.h, so parallel skeleton builds never write it at the same time.
add_custom_target(vmlinux_h DEPENDS ${BPF_GEN_DIR}/vmlinux.h)

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|amd64")
  set(BPF_TARGET_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(BPF_TARGET_ARCH arm64)
else()
  set(BPF_TARGET_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()

function(bpf_skeleton name source)
  set(src ${CMAKE_SOURCE_DIR}/bpf/${source})
  set(obj ${BPF_GEN_DIR}/${name}.bpf.o)
  set(linked ${BPF_GEN_DIR}/${name}.linked.o)
  set(skel ${BPF_GEN_DIR}/${name}.skel.h)
  file(GLOB bpf_headers ${CMAKE_SOURCE_DIR}/bpf/*.h ${CMAKE_SOURCE_DIR}/include/tcpsight/abi.h)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPF_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_${BPF_TARGET_ARCH}
            -Wall -Wno-unused-function -Werror
            -I${BPF_GEN_DIR} -I${CMAKE_SOURCE_DIR}/include -I${CMAKE_SOURCE_DIR}/bpf
            -c ${src} -o ${obj}
    COMMAND ${BPFTOOL} gen object ${linked} ${obj}
    COMMAND ${BPFTOOL} gen skeleton ${linked} name ${name} > ${skel}
    DEPENDS ${src} ${bpf_headers} ${BPF_GEN_DIR}/vmlinux.h
    COMMENT "Building BPF skeleton ${name}")
  add_custom_target(${name}_skel_gen DEPENDS ${skel})
  add_dependencies(${name}_skel_gen vmlinux_h)
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel INTERFACE ${BPF_GEN_DIR})
endfunction()
