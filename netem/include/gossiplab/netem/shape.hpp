// Link shapes: the data that describes one directed link's misbehaviour, and its JSON form.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <stdexcept>
#include <string>

namespace gossiplab::netem {

// Thrown for anything the lab cannot do: bad input (the message names the field or node and
// what was expected) or an environment problem (the message names the missing capability and
// the fix). The controller maps it to exit code 2 (bad input) or 3 (environment).
class LabError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Gilbert–Elliott bursty loss (netem's "loss gemodel p r 1-h 1-k"): a two-state chain. In the
// good state a packet is lost with `good_loss` and the chain moves to bad with `p`; in the bad
// state a packet is lost with `bad_loss` and the chain moves back with `r`. Mean loss:
// (r * good_loss + p * bad_loss) / (p + r); mean burst (bad-state stay): 1 / r packets.
struct GeModel {
    double p = 0;          // good -> bad, per packet (> 0)
    double r = 1;          // bad -> good, per packet (> 0)
    double bad_loss = 1;   // netem's 1-h
    double good_loss = 0;  // netem's 1-k
    bool operator==(const GeModel&) const = default;
    double mean_loss() const { return (r * good_loss + p * bad_loss) / (p + r); }
};

// One directed link's impairment, with netem's meaning for every field (docs/history-format.md,
// "link shape object"). Probabilities are fractions 0..1; times are milliseconds.
struct LinkShape {
    double delay_ms = 0;   // fixed one-way delay added at the hub
    double jitter_ms = 0;  // spread of the delay: sigma (normal, pareto) or half-width (uniform)
    std::string distribution = "normal";  // normal | uniform | pareto
    double loss = 0;                      // probability a packet is dropped
    double loss_correlation = 0;          // netem's correlation of successive loss draws
    double duplicate = 0;                 // probability a packet is delivered twice
    double reorder = 0;    // probability a packet skips the delay (needs delay_ms > 0, as in netem)
    double corrupt = 0;    // probability one bit of the payload is flipped
    double rate_kbit = 0;  // link bandwidth; 0 = unlimited
    std::optional<GeModel> gemodel = std::nullopt;  // bursty loss instead of `loss` (netem: exclusive)

    bool operator==(const LinkShape&) const = default;
    bool is_identity() const { return *this == LinkShape{}; }
};

// Parses and validates a link shape object. Missing fields take the defaults above; unknown
// fields, wrong types and out-of-range values throw LabError naming `where` and the field,
// e.g. "scenario.json faults[2].shape.loss: expected a number in 0..1, got 1.5".
LinkShape shape_from_json(const nlohmann::json& j, const std::string& where = "link shape");
// Validates a shape built in code; throws LabError as shape_from_json does.
void validate(const LinkShape& s, const std::string& where = "link shape");
nlohmann::json to_json(const LinkShape& s);

}  // namespace gossiplab::netem
