// A small recursive-descent evaluator for bound expressions over the timing profile.
#include <gossiplab/checkers/bound.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>
#include <vector>

namespace gossiplab::checkers {

namespace {

class Parser {
  public:
    Parser(const std::string& expr, const Vars& vars) : s_(expr), vars_(vars) {}

    double run() {
        double v = sum();
        skip();
        if (i_ < s_.size()) fail("expected an operator or the end of the expression");
        return v;
    }

  private:
    [[noreturn]] void fail(const std::string& what) const {
        std::ostringstream os;
        os << "bound '" << s_ << "': at " << (i_ + 1) << ": " << what;
        throw BoundError(os.str());
    }
    void skip() {
        while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    bool eat(char c) {
        skip();
        if (i_ < s_.size() && s_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }
    double sum() {
        double v = product();
        for (;;) {
            if (eat('+'))
                v += product();
            else if (eat('-'))
                v -= product();
            else
                return v;
        }
    }
    double product() {
        double v = unary();
        for (;;) {
            if (eat('*')) {
                v *= unary();
            } else if (eat('/')) {
                size_t at = i_;
                double d = unary();
                if (d == 0) {
                    i_ = at;
                    fail("division by zero");
                }
                v /= d;
            } else {
                return v;
            }
        }
    }
    double unary() {
        if (eat('-')) return -unary();
        if (eat('+')) return unary();
        return power();
    }
    double power() {
        double base = atom();
        if (eat('^')) return std::pow(base, unary());  // right-associative: 2^3^2 = 2^9
        return base;
    }
    double atom() {
        skip();
        if (i_ >= s_.size()) fail("expected a number, a variable or '(' but the expression ended");
        char c = s_[i_];
        if (c == '(') {
            ++i_;
            double v = sum();
            if (!eat(')')) fail("expected ')'");
            return v;
        }
        if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') return number();
        if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') return name();
        fail(std::string("expected a number, a variable or '(' but found '") + c + "'");
    }
    double number() {
        const char* begin = s_.c_str() + i_;
        char* end = nullptr;
        double v = std::strtod(begin, &end);
        if (end == begin) fail("expected a number");
        i_ += size_t(end - begin);
        return v;
    }
    double name() {
        size_t start = i_;
        while (i_ < s_.size() &&
               (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_'))
            ++i_;
        std::string id = s_.substr(start, i_ - start);
        skip();
        if (i_ < s_.size() && s_[i_] == '(') {
            ++i_;
            std::vector<double> args{sum()};
            while (eat(',')) args.push_back(sum());
            if (!eat(')')) fail("expected ',' or ')' after an argument of " + id + "()");
            return call(id, args, start);
        }
        auto it = vars_.find(id);
        if (it == vars_.end()) {
            i_ = start;
            fail("unknown variable '" + id +
                 "' (expected a timing-profile knob, N, suspicion_min, suspicion_max, "
                 "retransmits or gossip_rounds)");
        }
        if (!it->second) {
            i_ = start;
            fail("'" + id +
                 "' is null in this timing profile (the implementation has no such knob)");
        }
        return *it->second;
    }
    double call(const std::string& f, const std::vector<double>& a, size_t at) {
        auto one = [&](double (*fn)(double)) {
            if (a.size() != 1) {
                i_ = at;
                fail(f + "() expects one argument");
            }
            return fn(a[0]);
        };
        if (f == "log" || f == "ln") return one([](double x) { return std::log(x); });
        if (f == "log10") return one([](double x) { return std::log10(x); });
        if (f == "log2") return one([](double x) { return std::log2(x); });
        if (f == "ceil") return one([](double x) { return std::ceil(x); });
        if (f == "floor") return one([](double x) { return std::floor(x); });
        if (f == "sqrt") return one([](double x) { return std::sqrt(x); });
        if (f == "abs") return one([](double x) { return std::fabs(x); });
        if (f == "min" || f == "max") {
            if (a.size() < 2) {
                i_ = at;
                fail(f + "() expects two or more arguments");
            }
            return f == "min" ? *std::min_element(a.begin(), a.end())
                              : *std::max_element(a.begin(), a.end());
        }
        i_ = at;
        fail("unknown function '" + f +
             "' (expected log, ln, log10, log2, ceil, floor, sqrt, abs, min or max)");
    }

    const std::string& s_;
    const Vars& vars_;
    size_t i_ = 0;
};

}  // namespace

double eval_bound(const std::string& expr, const Vars& vars) {
    double v = Parser(expr, vars).run();
    if (!std::isfinite(v))
        throw BoundError("bound '" + expr + "': the value is not a finite number");
    return v;
}

Vars profile_vars(const nlohmann::json& profile, double n) {
    Vars v;
    if (profile.is_object()) {
        for (const auto& [k, x] : profile.items()) {
            if (x.is_number())
                v[k] = x.get<double>();
            else
                v[k] = std::nullopt;
        }
    }
    auto get = [&](const char* k) -> std::optional<double> {
        auto it = v.find(k);
        return it == v.end() ? std::nullopt : it->second;
    };
    v["N"] = n;
    auto mult = get("suspicion_mult"), probe = get("probe_interval");
    auto maxm = get("suspicion_max_timeout_mult"), rmult = get("retransmit_mult");
    auto fanout = get("fanout");
    std::optional<double> smin, smax, retr, rounds;
    if (mult && probe) smin = *mult * std::log10(std::max(n, 10.0)) * *probe;
    if (smin && maxm) smax = *maxm * *smin;
    if (rmult) retr = *rmult * std::ceil(std::log10(n + 1));
    if (fanout && *fanout > 1) rounds = std::ceil(std::log(std::max(n, 1.0)) / std::log(*fanout));
    v["suspicion_min"] = smin;
    v["suspicion_max"] = smax;
    v["retransmits"] = retr;
    v["gossip_rounds"] = rounds;
    return v;
}

}  // namespace gossiplab::checkers
