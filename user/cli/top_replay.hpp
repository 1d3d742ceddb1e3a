// top -r: a recording played into top's model as live top reads the kernel, at the recording's
// own pace or faster, paused, stepped, or moved to another moment of it. A recording of namespaces
// (record -A or --netns) plays into a model per namespace, as top -A and --netns show them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "cli/top_readings.hpp"
#include "record/replay.hpp"
#include "record/replayed_namespaces.hpp"
#include "top/namespace_models.hpp"
#include "top/top_model.hpp"

namespace tcpsight {

class ReplayTopReadings final : public TopReadings {
 public:
  // Throws UserError for a file that is no readable recording.
  ReplayTopReadings(const std::string& path, double interval_s);

  void drain() override {}
  // Reads the recording up to the playback position: events, counters, snapshot, owner scan.
  void refresh(std::optional<uint32_t> keep, bool details) override;
  NamespaceFrames frames() const override { return models_ ? models_->frames() : NamespaceFrames{model_->frame(), {}}; }
  // A recording of every namespace (record -A): the view starts with their list.
  bool of_every_namespace() const { return replay_.info().namespaces == "all"; }
  // A recording of one namespace (record --netns): the view shows it in full.
  std::optional<uint32_t> of_one_namespace() const;

  // The playback position moves on by `seconds` of the recording (to its end at most).
  void play(double seconds);
  // To `seconds` after the recording began: forward reads on, back starts again from the file's
  // start; either way the model gets the readings of the last three refreshes before it, so
  // rates and the SYN-flood warning are there at once.
  void seek(double seconds);
  double position_s() const { return static_cast<double>(position_ns_ - replay_.info().start_ns) / 1e9; }
  bool at_end() const { return at_end_; }
  // " REPLAY 2x  +35.0s  12:03:04 " and the like, for the header's right side.
  std::string status(double speed, bool paused) const;
  // What the replay could not read, for stderr at the end ("" when nothing).
  std::string damage() const { return recording::damage_summary(replay_.reader()); }

 private:
  void reset_model();
  // The model's three refreshes up to `target`, from the file's start when `from_start` or when
  // `target` is behind the replay.
  void refresh_up_to(uint64_t target, bool from_start);

  recording::Replay replay_;
  double interval_s_;
  uint64_t position_ns_;
  bool at_end_ = false;
  uint64_t seen_snapshot_ = 0, seen_scan_ = 0;
  bool refreshed_ = false;
  uint64_t refreshed_ns_ = 0;  // the position of the model's last reading
  std::unique_ptr<TopModel> model_;                 // a recording of the recorder's own namespace
  std::unique_ptr<NamespaceModels> models_;         // one of namespaces (-A, --netns)
  std::unique_ptr<recording::ReplayedNamespaces> namespaces_;
  OwnerIndex owners_;
};

}  // namespace tcpsight
