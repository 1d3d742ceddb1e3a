#include "kernel/proc_file.hpp"

#include <fstream>
#include <sstream>

namespace tcpsight {

std::string read_proc_file(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace tcpsight
