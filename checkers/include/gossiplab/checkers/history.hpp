// The history as the checkers see it: the record is defined by the history module
// (gossiplab/history/history.hpp); these names keep the checkers' spelling.
#pragma once

#include <gossiplab/history/history.hpp>

namespace gossiplab::checkers {

using nlohmann::json;

using history::Action;
using history::ActionType;
using history::add_line;
using history::CountersSample;
using history::Event;
using history::EventType;
using history::History;
using history::HistoryError;
using history::kNone;
using history::load_history;
using history::Malformed;
using history::MemberState;
using history::parse_history;
using history::Problem;
using history::StateRecord;
using history::to_string;

}  // namespace gossiplab::checkers
