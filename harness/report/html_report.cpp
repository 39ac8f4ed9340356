// Renders gcfuzz-compare/1 JSON as one HTML page with inline SVG charts.
#include "harness/report/html_report.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace gcfuzz {

namespace {

using nlohmann::json;

// ---------------------------------------------------------------------------------------
// Reading the JSON. Any number may be null (not measured) and later schema versions may add
// or reshape keys, so every read checks the type and a wrong one reads as "absent".

const json& member(const json& object, std::string_view key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  const auto it = object.find(std::string(key));
  return it == object.end() ? kNull : *it;
}

const json& array_at(const json& object, std::string_view key) {
  static const json kEmpty = json::array();
  const json& value = member(object, key);
  return value.is_array() ? value : kEmpty;
}

std::optional<double> number_at(const json& object, std::string_view key) {
  const json& value = member(object, key);
  if (!value.is_number()) return std::nullopt;
  const double d = value.get<double>();
  if (!std::isfinite(d)) return std::nullopt;
  return d;
}

std::string string_at(const json& object, std::string_view key) {
  const json& value = member(object, key);
  return value.is_string() ? value.get<std::string>() : std::string();
}

std::optional<bool> bool_at(const json& object, std::string_view key) {
  const json& value = member(object, key);
  if (!value.is_boolean()) return std::nullopt;
  return value.get<bool>();
}

// ---------------------------------------------------------------------------------------
// Text.

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// `name` cut to `max` characters, for labels in a fixed-width column (the full name goes in
// the mark's tooltip).
std::string clip(std::string_view name, std::size_t max) {
  if (name.size() <= max) return std::string(name);
  return std::string(name.substr(0, max - 1)) + "…";
}

std::string drop_trailing_zero(std::string s) {
  if (s.size() > 2 && s.ends_with(".0")) s.resize(s.size() - 2);
  return s;
}

// About three significant digits, without an exponent for the values a report holds.
std::string plain_number(double v) {
  const double a = std::abs(v);
  if (a == 0) return "0";
  if (a >= 100) return fmt::format("{:.0f}", v);
  if (a >= 10) return drop_trailing_zero(fmt::format("{:.1f}", v));
  if (a >= 1) return fmt::format("{:.3g}", v);
  if (a >= 0.001) return fmt::format("{:.2g}", v);
  return fmt::format("{:.1e}", v);
}

// 812, 12.3k, 412k, 1.2M: a count readable at a glance. Whole numbers below `plain_below` keep
// all their digits.
std::string with_suffix(double v, const char* const (&suffixes)[5], std::string_view space,
                        double plain_below = 1000) {
  double scaled = v;
  int i = 0;
  while (std::abs(scaled) >= 1000 && i < 4) {
    scaled /= 1000;
    ++i;
  }
  std::string digits;
  if (i == 0 || (std::abs(v) < plain_below && v == std::floor(v))) {
    digits = v == std::floor(v) ? fmt::format("{:.0f}", v) : plain_number(v);
    i = 0;
  } else {
    digits = std::abs(scaled) >= 100 ? fmt::format("{:.0f}", scaled)
                                     : drop_trailing_zero(fmt::format("{:.1f}", scaled));
  }
  return fmt::format("{}{}{}", digits, space, suffixes[i]);
}

constexpr const char* kCountSuffixes[5] = {"", "k", "M", "G", "T"};

std::string human_count(double v) {
  return with_suffix(v, kCountSuffixes, "");
}

std::string human_bytes(double v) {
  static const char* const kSuffixes[5] = {"B", "kB", "MB", "GB", "TB"};
  return with_suffix(v, kSuffixes, " ");
}

constexpr std::string_view kDash = "–";

template <typename Format>
std::string or_dash(std::optional<double> v, Format format) {
  return v ? format(*v) : std::string(kDash);
}

// In tables, up to 9999 the digits read as easily as a suffix, and say more.
std::string count_cell(std::optional<double> v) {
  return or_dash(v, [](double d) { return with_suffix(d, kCountSuffixes, "", 10000); });
}
std::string ms_cell(std::optional<double> v) {
  return or_dash(v, plain_number);
}

// ---------------------------------------------------------------------------------------
// Colours: one per collector, the same in every chart. Collectors get them in registry order;
// a name first seen in the mutation score (a collector not in this comparison) gets the next.

constexpr std::string_view kPalette[] = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#393b79", "#ad494a", "#637939", "#e7ba52", "#7b4173", "#3182bd",
};

class Palette {
 public:
  std::string_view colour(const std::string& collector) {
    const std::size_t index = index_.try_emplace(collector, index_.size()).first->second;
    return kPalette[index % std::size(kPalette)];
  }

 private:
  std::map<std::string, std::size_t> index_;
};

// ---------------------------------------------------------------------------------------
// SVG. Coordinates go through `px`, so a stray NaN becomes 0 rather than an invalid attribute.

std::string px(double v) {
  return std::isfinite(v) ? fmt::format("{:.1f}", v) : "0";
}

using Out = std::back_insert_iterator<std::string>;

void open_svg(std::string& out, double width, double height, std::string_view label) {
  fmt::format_to(Out(out),
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
                 "viewBox=\"0 0 {0} {1}\" role=\"img\" aria-label=\"{2}\">\n",
                 px(width), px(height), escape(label));
}

void text_at(std::string& out, double x, double y, std::string_view text,
             std::string_view attributes = "") {
  fmt::format_to(Out(out), "<text x=\"{}\" y=\"{}\"{}{}>{}</text>\n", px(x), px(y),
                 attributes.empty() ? "" : " ", attributes, escape(text));
}

// A log10 axis over whole decades, 10^lo .. 10^hi (lo < hi), onto pixels [from, to]. Values
// at or below 0 and below the axis sit on its minimum: a 0 ms pause is drawn, not dropped.
struct LogScale {
  int lo = 0, hi = 1;
  double from = 0, to = 1;

  double operator()(double v) const {
    double decade = v > 0 ? std::log10(v) : lo;
    decade = std::clamp(decade, static_cast<double>(lo), static_cast<double>(hi));
    return from + (decade - lo) / (hi - lo) * (to - from);
  }
};

// The decades spanning the positive values; one either side of a lone decade, so that a
// single point sits mid-axis. 1 .. 10 when there is nothing to show.
LogScale log_scale_over(const std::vector<double>& values, double from, double to) {
  double min = 0, max = 0;
  for (double v : values) {
    if (!(v > 0) || !std::isfinite(v)) continue;
    if (min == 0 || v < min) min = v;
    max = std::max(max, v);
  }
  LogScale scale{.from = from, .to = to};
  if (min == 0) return scale;
  scale.lo = static_cast<int>(std::floor(std::log10(min)));
  scale.hi = static_cast<int>(std::ceil(std::log10(max)));
  if (scale.lo == scale.hi) {
    --scale.lo;
    ++scale.hi;
  }
  return scale;
}

// 0 .. a round maximum, with ticks at a round step.
struct LinearScale {
  double max = 1, step = 1;
  double from = 0, to = 1;

  double operator()(double v) const { return from + std::clamp(v, 0.0, max) / max * (to - from); }
};

LinearScale linear_scale_to(double max_value, double from, double to) {
  LinearScale scale{.from = from, .to = to};
  if (!(max_value > 0) || !std::isfinite(max_value)) return scale;
  const double raw_step = max_value / 5;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw_step)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    scale.step = m * magnitude;
    if (scale.step >= raw_step) break;
  }
  scale.max = std::ceil(max_value / scale.step) * scale.step;
  return scale;
}

std::string decade_label(int decade, bool count) {
  const double v = std::pow(10.0, decade);
  if (count) return human_count(v);
  return decade >= -4 && decade <= 5 ? fmt::format("{:g}", v) : fmt::format("1e{}", decade);
}

// Tick labels on every decade, or every other one when they would crowd.
int decade_stride(const LogScale& scale, double min_pixels) {
  const double per_decade = std::abs(scale.to - scale.from) / (scale.hi - scale.lo);
  return per_decade >= min_pixels ? 1 : static_cast<int>(std::ceil(min_pixels / per_decade));
}

// A horizontal log axis at `y` with grid lines up to `grid_top`.
void log_x_axis(std::string& out, const LogScale& x, double y, double grid_top, bool count,
                std::string_view label) {
  fmt::format_to(Out(out), "<line class=\"axis\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\n",
                 px(x.from), px(y), px(x.to), px(y));
  const int stride = decade_stride(x, 44);
  for (int d = x.lo; d <= x.hi; ++d) {
    const double at = x(std::pow(10.0, d));
    fmt::format_to(Out(out), "<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>\n",
                   px(at), px(grid_top), px(y));
    fmt::format_to(Out(out), "<line class=\"axis\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>\n",
                   px(at), px(y), px(y + 4));
    if ((d - x.lo) % stride == 0) {
      text_at(out, at, y + 16, decade_label(d, count), "text-anchor=\"middle\"");
    }
  }
  text_at(out, (x.from + x.to) / 2, y + 34, label, "class=\"axis-label\" text-anchor=\"middle\"");
}

// A vertical log axis at `x` with grid lines across to `grid_right`.
void log_y_axis(std::string& out, const LogScale& y, double x, double grid_right,
                std::string_view label) {
  fmt::format_to(Out(out), "<line class=\"axis\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\n",
                 px(x), px(y.from), px(x), px(y.to));
  const int stride = decade_stride(y, 18);
  for (int d = y.lo; d <= y.hi; ++d) {
    const double at = y(std::pow(10.0, d));
    fmt::format_to(Out(out), "<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\"/>\n",
                   px(x), px(at), px(grid_right));
    fmt::format_to(Out(out), "<line class=\"axis\" x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\"/>\n",
                   px(x - 4), px(at), px(x));
    if ((d - y.lo) % stride == 0) {
      text_at(out, x - 7, at + 4, decade_label(d, false), "text-anchor=\"end\"");
    }
  }
  const double middle = (y.from + y.to) / 2;
  text_at(out, 14, middle, label,
          fmt::format("class=\"axis-label\" text-anchor=\"middle\" transform=\"rotate(-90 14 {})\"",
                      px(middle)));
}

void linear_x_axis(std::string& out, const LinearScale& x, double y, double grid_top,
                   std::string_view label, std::string (*format)(double)) {
  fmt::format_to(Out(out), "<line class=\"axis\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\n",
                 px(x.from), px(y), px(x.to), px(y));
  const int ticks = static_cast<int>(std::lround(x.max / x.step));
  for (int i = 0; i <= ticks; ++i) {
    const double at = x(i * x.step);
    fmt::format_to(Out(out), "<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>\n",
                   px(at), px(grid_top), px(y));
    fmt::format_to(Out(out), "<line class=\"axis\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>\n",
                   px(at), px(y), px(y + 4));
    text_at(out, at, y + 16, format(i * x.step), "text-anchor=\"middle\"");
  }
  text_at(out, (x.from + x.to) / 2, y + 34, label, "class=\"axis-label\" text-anchor=\"middle\"");
}

// A row label in the left column of a row chart, cut to fit, the full name as its tooltip.
void row_label(std::string& out, double right, double y, const std::string& name) {
  fmt::format_to(Out(out),
                 "<text x=\"{}\" y=\"{}\" text-anchor=\"end\"><title>{}</title>{}</text>\n",
                 px(right), px(y + 4), escape(name), escape(clip(name, 32)));
}

// `caption` is HTML: callers escape what came from the JSON.
std::string figure(std::string_view svg, std::string_view caption) {
  return fmt::format("<figure>\n{}<figcaption>{}</figcaption>\n</figure>\n", svg, caption);
}

// ---------------------------------------------------------------------------------------
// The data the charts share.

struct Report {
  const json& compare;
  const json& workloads;   // compare.workloads
  const json& collectors;  // compare.collectors
  Palette palette;
};

std::string name_of(const json& entry) {
  return string_at(entry, "name");
}

// A collector's entry for `workload`, matched by name (null when it has none).
const json& workload_entry(const json& collector, const std::string& workload) {
  static const json kNull;
  for (const json& entry : array_at(collector, "workloads")) {
    if (string_at(entry, "workload") == workload) return entry;
  }
  return kNull;
}

// ---------------------------------------------------------------------------------------
// Chart a: full collection time against heap size, one small multiple per shape.

constexpr double kCurveWidth = 600, kCurvePlotLeft = 64, kCurvePlotRight = 400, kCurvePlotTop = 30,
                 kCurvePlotHeight = 250;

std::string collection_time_chart(Report& report, const std::string& shape,
                                  std::vector<const json*> sized) {
  std::ranges::stable_sort(sized, [](const json* a, const json* b) {
    return number_at(*a, "objects").value_or(0) < number_at(*b, "objects").value_or(0);
  });
  struct Point {
    double objects, ms;
    std::string tooltip;
  };
  struct Curve {
    std::string collector;
    std::vector<Point> points;
  };
  std::vector<Curve> curves;
  std::vector<std::string> unmeasured;
  std::vector<double> xs, ys;
  for (const json& collector : report.collectors) {
    Curve curve{.collector = name_of(collector)};
    for (const json* workload : sized) {
      const std::string name = string_at(*workload, "name");
      const json& entry = workload_entry(collector, name);
      const std::optional<double> ms = number_at(entry, "full_collection_ms");
      const double objects = number_at(*workload, "objects").value_or(0);
      if (!ms || !(objects > 0)) continue;
      std::string tooltip =
          fmt::format("{} on {}: {} objects, full collection {} ms", curve.collector, name,
                      human_count(objects), plain_number(*ms));
      if (const auto reclaim = number_at(entry, "reclaim_ms")) {
        tooltip += fmt::format(", reclaim {} ms", plain_number(*reclaim));
      }
      curve.points.push_back({objects, *ms, std::move(tooltip)});
      xs.push_back(objects);
      ys.push_back(*ms);
    }
    if (curve.points.empty()) {
      unmeasured.push_back(curve.collector);
    } else {
      curves.push_back(std::move(curve));
    }
  }

  const double legend_rows = static_cast<double>(curves.size()) + (unmeasured.empty() ? 0 : 1);
  const double plot_bottom = kCurvePlotTop + kCurvePlotHeight;
  const double height = std::max(plot_bottom + 48, kCurvePlotTop + 16 * legend_rows + 10);
  const LogScale x = log_scale_over(xs, kCurvePlotLeft, kCurvePlotRight);
  const LogScale y = log_scale_over(ys, plot_bottom, kCurvePlotTop);

  std::string svg;
  open_svg(svg, kCurveWidth, height, "full collection time against heap size, " + shape);
  text_at(svg, kCurvePlotLeft, 18, shape, "class=\"chart-title\"");
  log_x_axis(svg, x, plot_bottom, kCurvePlotTop, true, "heap size (objects, log scale)");
  log_y_axis(svg, y, kCurvePlotLeft, kCurvePlotRight, "full collection (ms, log scale)");
  if (curves.empty()) {
    text_at(svg, (kCurvePlotLeft + kCurvePlotRight) / 2, kCurvePlotTop + kCurvePlotHeight / 2,
            "no collector measured on these heaps", "text-anchor=\"middle\" class=\"note\"");
  }
  for (const Curve& curve : curves) {
    const std::string_view colour = report.palette.colour(curve.collector);
    if (curve.points.size() > 1) {
      std::string points;
      for (const Point& p : curve.points) points += px(x(p.objects)) + "," + px(y(p.ms)) + " ";
      fmt::format_to(Out(svg),
                     "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\">"
                     "<title>{}</title></polyline>\n",
                     colour, points, escape(curve.collector));
    }
    for (const Point& p : curve.points) {
      // Hollow when the time is 0 (below the timer's resolution): drawn on the axis minimum,
      // which it is not.
      const bool zero = !(p.ms > 0);
      fmt::format_to(Out(svg),
                     "<circle cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"{}\" stroke=\"{}\" "
                     "stroke-width=\"{}\"><title>{}</title></circle>\n",
                     px(x(p.objects)), px(y(p.ms)), zero ? "#fff" : colour, zero ? colour : "#fff",
                     zero ? 2 : 1, escape(p.tooltip));
    }
  }
  // The legend, right of the plot.
  const double legend_x = kCurvePlotRight + 16;
  double legend_y = kCurvePlotTop + 4;
  for (const Curve& curve : curves) {
    const std::string_view colour = report.palette.colour(curve.collector);
    fmt::format_to(Out(svg),
                   "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{3}\" "
                   "stroke-width=\"2\"/><circle cx=\"{4}\" cy=\"{1}\" r=\"3.5\" fill=\"{3}\"/>\n",
                   px(legend_x), px(legend_y), px(legend_x + 18), colour, px(legend_x + 9));
    fmt::format_to(Out(svg), "<text x=\"{}\" y=\"{}\"><title>{}</title>{}</text>\n",
                   px(legend_x + 24), px(legend_y + 4), escape(curve.collector),
                   escape(clip(curve.collector, 27)));
    legend_y += 16;
  }
  if (!unmeasured.empty()) {
    std::string names;
    for (const std::string& name : unmeasured) names += (names.empty() ? "" : ", ") + name;
    fmt::format_to(Out(svg), "<text x=\"{}\" y=\"{}\" class=\"note\"><title>{}</title>{}</text>\n",
                   px(legend_x), px(legend_y + 4), escape("not measured: " + names),
                   escape(fmt::format("+{} not measured", unmeasured.size())));
  }
  svg += "</svg>\n";

  std::string sizes;
  for (const json* w : sized) {
    if (!sizes.empty()) sizes += ", ";
    sizes += human_count(number_at(*w, "objects").value_or(0));
  }
  return figure(svg, fmt::format("<b>{}</b> heaps ({} objects): the time of a full collection "
                                 "with the whole heap live, against the number of objects, both "
                                 "on log scales; one line per collector.",
                                 escape(shape), escape(sizes)));
}

std::string collection_time_section(Report& report) {
  // Shapes in the order their workloads ran.
  std::vector<std::string> shapes;
  std::map<std::string, std::vector<const json*>> by_shape;
  for (const json& workload : report.workloads) {
    if (string_at(workload, "kind") != "synthetic") continue;
    const std::string shape = string_at(workload, "shape");
    if (shape.empty() || !(number_at(workload, "objects").value_or(0) > 0)) continue;
    if (!by_shape.contains(shape)) shapes.push_back(shape);
    by_shape[shape].push_back(&workload);
  }
  std::string out = "<h2 id=\"collection-time\">Collection time against heap size</h2>\n";
  if (shapes.empty()) return out + "<p class=\"note\">No synthetic heaps in this run.</p>\n";
  out += "<div class=\"multiples\">\n";
  for (const std::string& shape : shapes) {
    out += collection_time_chart(report, shape, by_shape[shape]);
  }
  return out + "</div>\n";
}

// ---------------------------------------------------------------------------------------
// Row charts: one row per collector, the label on the left, an axis at the bottom.

constexpr double kRowWidth = 1180, kLabelRight = 200, kRowPlotLeft = 214, kRowTop = 40,
                 kRowHeight = 24;

// Chart b: each collector's pauses, p50..p99 as a bar and the maximum as a diamond.
std::string pause_chart(Report& report) {
  std::vector<double> values;
  for (const json& collector : report.collectors) {
    const json& pauses = member(member(collector, "cost"), "pauses");
    for (const char* key : {"p50_ms", "p99_ms", "max_ms"}) {
      if (const auto v = number_at(pauses, key)) values.push_back(*v);
    }
  }
  const double plot_right = kRowWidth - 110;
  const double rows = static_cast<double>(report.collectors.size());
  const double axis_y = kRowTop + rows * kRowHeight + 6;
  const LogScale x = log_scale_over(values, kRowPlotLeft, plot_right);

  std::string svg;
  open_svg(svg, kRowWidth, axis_y + 44, "pause distribution per collector");
  // The legend, above the rows.
  fmt::format_to(Out(svg),
                 "<rect x=\"{0}\" y=\"10\" width=\"28\" height=\"10\" fill=\"#999\"/>"
                 "<path d=\"M{1} 9 l6 6 l-6 6 l-6 -6 z\" fill=\"#999\" stroke=\"#333\"/>\n",
                 px(kRowPlotLeft), px(kRowPlotLeft + 210));
  text_at(svg, kRowPlotLeft + 34, 19, "p50 to p99 of the pauses");
  text_at(svg, kRowPlotLeft + 222, 19, "longest pause");
  text_at(svg, kRowPlotLeft + 320, 19, "(colour: collector; hover for the figures)",
          "class=\"note\"");
  text_at(svg, plot_right + 10, 19, "pauses");
  log_x_axis(svg, x, axis_y, kRowTop - 4, false, "pause: one collect op (ms, log scale)");

  double row_y = kRowTop;
  for (const json& collector : report.collectors) {
    const std::string name = name_of(collector);
    const std::string_view colour = report.palette.colour(name);
    const json& pauses = member(member(collector, "cost"), "pauses");
    const double mid = row_y + kRowHeight / 2;
    row_label(svg, kLabelRight, mid, name);
    const auto count = number_at(pauses, "count");
    const auto p50 = number_at(pauses, "p50_ms");
    const auto p99 = number_at(pauses, "p99_ms");
    const auto max = number_at(pauses, "max_ms");
    text_at(svg, plot_right + 10, mid + 4, count ? human_count(*count) : std::string(kDash));
    if (!p50 && !p99 && !max) {
      text_at(svg, kRowPlotLeft + 6, mid + 4, count && *count == 0 ? "no pauses" : "not measured",
              "class=\"note\"");
      row_y += kRowHeight;
      continue;
    }
    const std::string tooltip =
        fmt::format("{}: {} pauses, p50 {} ms, p99 {} ms, max {} ms", name, count_cell(count),
                    ms_cell(p50), ms_cell(p99), ms_cell(max));
    const double low = x(p50.value_or(p99.value_or(*max)));
    const double high = x(p99.value_or(p50.value_or(*max)));
    if (max) {
      // The whisker from p99 to the longest pause.
      fmt::format_to(Out(svg),
                     "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{3}\" "
                     "stroke-width=\"1.5\"/>\n",
                     px(high), px(mid), px(x(*max)), colour);
    }
    fmt::format_to(Out(svg),
                   "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"12\" fill=\"{}\">"
                   "<title>{}</title></rect>\n",
                   px(low), px(mid - 6), px(std::max(high - low, 3.0)), colour, escape(tooltip));
    if (max) {
      fmt::format_to(Out(svg),
                     "<path d=\"M{} {} l6 6 l-6 6 l-6 -6 z\" fill=\"{}\" stroke=\"#333\">"
                     "<title>{}</title></path>\n",
                     px(x(*max)), px(mid - 6), colour, escape(tooltip));
    }
    row_y += kRowHeight;
  }
  svg += "</svg>\n";
  return figure(svg,
                "Pause distribution: each collect op timed on the collector alone, over every "
                "workload. The bar spans the median (p50) to the 99th percentile, the diamond "
                "marks the longest pause; the count of pauses is on the right. Reference "
                "counting frees inside mutator ops, which is not counted here.");
}

// Chart c: bytes of resident memory per object, on the largest graph heap.
std::string memory_chart(Report& report) {
  double max_value = 0;
  for (const json& collector : report.collectors) {
    max_value =
        std::max(max_value, number_at(member(collector, "cost"), "bytes_per_object").value_or(0));
  }
  const double plot_right = kRowWidth - 120;
  const double rows = static_cast<double>(report.collectors.size());
  const double axis_y = kRowTop + rows * kRowHeight + 6;
  const LinearScale x = linear_scale_to(max_value, kRowPlotLeft, plot_right);

  std::string svg;
  open_svg(svg, kRowWidth, axis_y + 44, "memory overhead per collector");
  fmt::format_to(Out(svg), "<rect x=\"{}\" y=\"10\" width=\"28\" height=\"10\" fill=\"#999\"/>\n",
                 px(kRowPlotLeft));
  text_at(svg, kRowPlotLeft + 34, 19, "bytes per object (colour: collector; hover for peak heap)");
  linear_x_axis(svg, x, axis_y, kRowTop - 4, "resident memory growth / objects (bytes per object)",
                human_bytes);

  double row_y = kRowTop;
  for (const json& collector : report.collectors) {
    const std::string name = name_of(collector);
    const std::string_view colour = report.palette.colour(name);
    const json& cost = member(collector, "cost");
    const double mid = row_y + kRowHeight / 2;
    row_label(svg, kLabelRight, mid, name);
    row_y += kRowHeight;
    const auto bytes = number_at(cost, "bytes_per_object");
    if (!bytes) {
      text_at(svg, kRowPlotLeft + 6, mid + 4, "not measured", "class=\"note\"");
      continue;
    }
    const auto peak = number_at(cost, "peak_heap_bytes");
    const std::string tooltip =
        fmt::format("{}: {} per object, peak heap {}", name, human_bytes(*bytes),
                    peak ? human_bytes(*peak) : std::string(kDash));
    const double end = x(*bytes);
    fmt::format_to(Out(svg),
                   "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"14\" fill=\"{}\">"
                   "<title>{}</title></rect>\n",
                   px(kRowPlotLeft), px(mid - 7), px(std::max(end - kRowPlotLeft, 1.0)), colour,
                   escape(tooltip));
    text_at(svg, std::max(end, kRowPlotLeft + 1) + 6, mid + 4, human_bytes(*bytes));
  }
  svg += "</svg>\n";
  return figure(svg,
                "Memory overhead: the growth of the process's resident memory over the number of "
                "objects, on the largest graph heap, per collector. Hover a bar for the peak heap "
                "over the whole run.");
}

// ---------------------------------------------------------------------------------------
// Chart d: the mutation score (a gcfuzz-selftest/1 object).

struct Driver {
  std::string_view key;    // in the selftest JSON
  std::string_view title;  // for people
  double opacity;          // tells the drivers apart within one collector's colour
  bool must_catch_all;     // a fixed corpus is not expected to catch every mutant
};
constexpr Driver kDrivers[] = {
    {"rapidcheck", "RapidCheck", 1.0, true},
    {"corpus_cpython", "corpus/cpython", 0.65, false},
    {"libfuzzer", "libFuzzer", 0.4, true},
};

std::string mutation_score_chart(Report& report, const json& score) {
  const json& collectors = array_at(score, "collectors");
  std::vector<const Driver*> drivers;
  for (const Driver& driver : kDrivers) {
    const bool present = std::ranges::any_of(
        collectors, [&](const json& c) { return member(c, driver.key).is_object(); });
    if (present) drivers.push_back(&driver);
  }
  if (drivers.empty()) drivers.push_back(&kDrivers[0]);

  const double column = (kRowWidth - kRowPlotLeft) / static_cast<double>(drivers.size());
  const double track = std::min(column - 70, 260.0);
  const double rows = static_cast<double>(collectors.size());
  const double axis_y = kRowTop + 14 + rows * kRowHeight + 6;

  std::string svg;
  open_svg(svg, kRowWidth, axis_y + 44, "mutants caught per collector and driver");
  text_at(svg, kRowPlotLeft, 14,
          "bar: share of the collector's mutants the driver caught (grey: not caught); shade: "
          "driver",
          "class=\"note\"");
  for (std::size_t d = 0; d < drivers.size(); ++d) {
    const double left = kRowPlotLeft + column * static_cast<double>(d);
    fmt::format_to(Out(svg),
                   "<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"10\" fill=\"#555\" "
                   "fill-opacity=\"{}\"/>\n",
                   px(left), px(kRowTop - 4), drivers[d]->opacity);
    text_at(svg, left + 20, kRowTop + 5, drivers[d]->title, "class=\"chart-title\"");
  }
  double row_y = kRowTop + 14;
  for (const json& collector : collectors) {
    const std::string name = name_of(collector);
    const std::string_view colour = report.palette.colour(name);
    const double mid = row_y + kRowHeight / 2;
    row_label(svg, kLabelRight, mid, name);
    const double total = number_at(collector, "mutants").value_or(0);
    for (std::size_t d = 0; d < drivers.size(); ++d) {
      const double left = kRowPlotLeft + column * static_cast<double>(d);
      const json& result = member(collector, drivers[d]->key);
      if (!result.is_object()) {
        text_at(svg, left + 4, mid + 4, "not run", "class=\"note\"");
        continue;
      }
      const double caught = number_at(result, "caught").value_or(0);
      const double share = total > 0 ? std::clamp(caught / total, 0.0, 1.0) : 0;
      const std::string label = fmt::format("{}/{}", caught, total);
      std::string tooltip =
          fmt::format("{}, {}: {} mutants caught", name, drivers[d]->title, label);
      if (const auto median = number_at(result, "median_seconds")) {
        tooltip += fmt::format(", median {} s to catch", plain_number(*median));
      }
      if (const auto shrunk = number_at(result, "median_shrunk_ops")) {
        tooltip += fmt::format(", median {} ops shrunk", plain_number(*shrunk));
      }
      fmt::format_to(Out(svg),
                     "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"12\" fill=\"#e4e4e4\"/>\n",
                     px(left), px(mid - 6), px(track));
      fmt::format_to(Out(svg),
                     "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"12\" fill=\"{}\" "
                     "fill-opacity=\"{}\"><title>{}</title></rect>\n",
                     px(left), px(mid - 6), px(track * share), colour, drivers[d]->opacity,
                     escape(tooltip));
      text_at(
          svg, left + track + 6, mid + 4, label,
          drivers[d]->must_catch_all && caught < total ? "class=\"missed\"" : std::string_view());
    }
    row_y += kRowHeight;
  }
  for (std::size_t d = 0; d < drivers.size(); ++d) {
    const double left = kRowPlotLeft + column * static_cast<double>(d);
    fmt::format_to(Out(svg), "<line class=\"axis\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\n",
                   px(left), px(axis_y), px(left + track), px(axis_y));
    for (int tick = 0; tick <= 2; ++tick) {
      const double at = left + track * tick / 2;
      fmt::format_to(Out(svg),
                     "<line class=\"axis\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>\n", px(at),
                     px(axis_y), px(axis_y + 4));
      text_at(svg, at, axis_y + 16, fmt::format("{}%", tick * 50), "text-anchor=\"middle\"");
    }
    text_at(svg, left + track / 2, axis_y + 34, "mutants caught",
            "class=\"axis-label\" text-anchor=\"middle\"");
  }
  svg += "</svg>\n";
  return figure(svg,
                "Mutation score: for each collector, the share of its planted-bug mutants each "
                "driver caught, labelled caught/total. A missed mutant is a bug the harness "
                "would not have found.");
}

// The median time to catch a mutant, per collector and driver (those that time it).
std::string time_to_catch_chart(Report& report, const json& score) {
  constexpr std::pair<std::string_view, std::string_view> kTimed[] = {{"rapidcheck", "RapidCheck"},
                                                                      {"libfuzzer", "libFuzzer"}};
  const json& collectors = array_at(score, "collectors");
  std::vector<double> values;
  for (const json& collector : collectors) {
    for (const auto& [key, title] : kTimed) {
      if (const auto v = number_at(member(collector, key), "median_seconds")) values.push_back(*v);
    }
  }
  if (values.empty()) return "";
  const double plot_right = kRowWidth - 40;
  const double rows = static_cast<double>(collectors.size());
  const double axis_y = kRowTop + rows * kRowHeight + 6;
  const LogScale x = log_scale_over(values, kRowPlotLeft, plot_right);

  std::string svg;
  open_svg(svg, kRowWidth, axis_y + 44, "median time to catch a mutant");
  fmt::format_to(Out(svg),
                 "<circle cx=\"{}\" cy=\"15\" r=\"5\" fill=\"#999\"/>"
                 "<rect x=\"{}\" y=\"10\" width=\"10\" height=\"10\" fill=\"#fff\" stroke=\"#555\" "
                 "stroke-width=\"2\"/>\n",
                 px(kRowPlotLeft + 5), px(kRowPlotLeft + 120));
  text_at(svg, kRowPlotLeft + 14, 19, "RapidCheck");
  text_at(svg, kRowPlotLeft + 136, 19, "libFuzzer");

  double row_y = kRowTop;
  for (const json& collector : collectors) {
    const std::string name = name_of(collector);
    const std::string_view colour = report.palette.colour(name);
    const double mid = row_y + kRowHeight / 2;
    row_label(svg, kLabelRight, mid, name);
    row_y += kRowHeight;
    for (const auto& [key, title] : kTimed) {
      const auto v = number_at(member(collector, key), "median_seconds");
      if (!v) continue;
      const std::string tooltip =
          fmt::format("{}, {}: median {} s to catch", name, title, plain_number(*v));
      if (key == "rapidcheck") {
        fmt::format_to(
            Out(svg),
            "<circle cx=\"{}\" cy=\"{}\" r=\"5\" fill=\"{}\"><title>{}</title></circle>\n",
            px(x(*v)), px(mid), colour, escape(tooltip));
      } else {
        fmt::format_to(Out(svg),
                       "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"#fff\" "
                       "stroke=\"{}\" stroke-width=\"2\"><title>{}</title></rect>\n",
                       px(x(*v) - 5), px(mid - 5), colour, escape(tooltip));
      }
    }
  }
  log_x_axis(svg, x, axis_y, kRowTop - 4, false, "median time to catch (seconds, log scale)");
  svg += "</svg>\n";
  return figure(svg,
                "Median time to catch a mutant, per collector: from the start of the driver's "
                "campaign to the first failing trace.");
}

std::string yes_no_cell(std::optional<bool> v) {
  if (!v) return fmt::format("<td>{}</td>", kDash);
  return *v ? "<td class=\"yes\">yes</td>" : "<td class=\"no\">no</td>";
}

std::string mutants_table(const json& score) {
  std::string out =
      "<div class=\"scroll\"><table class=\"mutants\">\n<thead><tr><th rowspan=\"2\">mutant</th>"
      "<th colspan=\"4\">RapidCheck</th><th>corpus</th><th colspan=\"2\">libFuzzer</th></tr>\n"
      "<tr><th>caught</th><th>seconds</th><th>shrunk ops</th><th>check</th><th>caught</th>"
      "<th>caught</th><th>seconds</th></tr></thead>\n<tbody>\n";
  for (const json& mutant : array_at(score, "mutants")) {
    const json& rapidcheck = member(mutant, "rapidcheck");
    const json& corpus = member(mutant, "corpus_cpython");
    const json& libfuzzer = member(mutant, "libfuzzer");
    out += fmt::format("<tr><td title=\"{}\"><code>{}</code></td>",
                       escape(string_at(mutant, "summary")), escape(name_of(mutant)));
    std::optional<bool> caught = bool_at(rapidcheck, "caught");
    if (caught && *caught && bool_at(rapidcheck, "distinguishes") == false) {
      // Caught by a trace that fails on the original collector too: not a real catch.
      out +=
          "<td class=\"no\" title=\"the trace fails on the original collector too\">"
          "no*</td>";
    } else {
      out += yes_no_cell(caught);
    }
    out += fmt::format("<td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td>",
                       ms_cell(number_at(rapidcheck, "seconds")),
                       count_cell(number_at(rapidcheck, "shrunk_ops")),
                       escape(string_at(rapidcheck, "check")));
    const std::string trace = string_at(corpus, "trace");
    if (!trace.empty() && bool_at(corpus, "caught").value_or(false)) {
      out += fmt::format("<td class=\"yes\" title=\"{}\">yes</td>", escape(trace));
    } else if (const auto corpus_caught = bool_at(corpus, "caught")) {
      out += *corpus_caught ? "<td class=\"yes\">yes</td>" : "<td>no</td>";
    } else {
      out += fmt::format("<td>{}</td>", kDash);
    }
    if (libfuzzer.is_object()) {
      out += yes_no_cell(bool_at(libfuzzer, "caught")) +
             fmt::format("<td class=\"n\">{}</td>", ms_cell(number_at(libfuzzer, "seconds")));
    } else {
      out += "<td class=\"note\">not run</td><td></td>";
    }
    out += "</tr>\n";
  }
  return out + "</tbody></table></div>\n";
}

std::string mutation_score_section(Report& report) {
  const json& score = member(report.compare, "mutation_score");
  if (!score.is_object()) return "";
  std::string out = "<h2 id=\"mutation-score\">Mutation score</h2>\n";
  const auto caught = number_at(score, "caught");
  const auto total = number_at(score, "total");
  std::string drivers;
  for (const json& d : array_at(score, "drivers")) {
    if (d.is_string()) drivers += (drivers.empty() ? "" : ", ") + d.get<std::string>();
  }
  const json& budget = member(score, "budget");
  out += fmt::format(
      "<p>{} of {} mutants caught by RapidCheck (seed {}, budget {} traces or {} s per mutant); "
      "drivers: {}.</p>\n",
      count_cell(caught), count_cell(total), count_cell(number_at(score, "seed")),
      count_cell(number_at(budget, "traces")), ms_cell(number_at(budget, "seconds")),
      drivers.empty() ? std::string(kDash) : escape(drivers));
  out += mutation_score_chart(report, score);
  out += time_to_catch_chart(report, score);
  out += "<h3>Mutants</h3>\n" + mutants_table(score);
  return out;
}

// ---------------------------------------------------------------------------------------
// Tables.

std::string header(const json& compare) {
  const std::string build = string_at(compare, "build");
  std::string out = "<h1>gcfuzz compare</h1>\n<dl class=\"meta\">\n";
  fmt::format_to(Out(out), "<dt>command</dt><dd><code>{}</code></dd>\n",
                 escape(string_at(compare, "command")));
  fmt::format_to(Out(out), "<dt>build</dt><dd>{}</dd>\n", escape(build));
  fmt::format_to(Out(out), "<dt>cores</dt><dd>{}</dd>\n", count_cell(number_at(compare, "cores")));
  fmt::format_to(Out(out), "<dt>wall time</dt><dd>{} s</dd>\n",
                 ms_cell(number_at(compare, "seconds")));
  out += "</dl>\n";
  const std::string schema = string_at(compare, "schema");
  if (schema != "gcfuzz-compare/1") {
    fmt::format_to(Out(out),
                   "<p class=\"warning\">Schema <code>{}</code> is not gcfuzz-compare/1: what "
                   "follows may be incomplete.</p>\n",
                   escape(schema.empty() ? "(none)" : schema));
  }
  std::string lower = build;
  std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower.find("addresssanitizer") != std::string::npos) {
    out +=
        "<p class=\"warning\">This build runs under AddressSanitizer: times, pauses and "
        "memory figures are inflated by the instrumentation. Compare collectors with each "
        "other, not with other builds.</p>\n";
  }
  return out;
}

std::string first_failure_text(const json& failure) {
  if (!failure.is_object()) return "";
  std::string out = string_at(failure, "workload");
  if (const auto trace = number_at(failure, "trace")) out += fmt::format(" trace {}", *trace);
  if (const auto op = number_at(failure, "op")) out += fmt::format(" op {}", *op);
  const std::string check = string_at(failure, "check");
  if (!check.empty()) out += ": " + check;
  return out;
}

std::string summary_table(Report& report) {
  std::string out =
      "<h2 id=\"summary\">Collectors</h2>\n<div class=\"scroll\"><table class=\"summary\">\n"
      "<thead><tr><th rowspan=\"2\">collector</th><th colspan=\"4\" class=\"group\">agreement "
      "with the model</th><th colspan=\"5\" class=\"group\">events</th><th colspan=\"8\" "
      "class=\"group\">cost</th></tr>\n<tr><th>traces</th><th>divergent</th><th>failed "
      "workloads</th><th>first failure</th><th>freed</th><th>retained</th><th>finalized</th>"
      "<th>garbage</th><th>cleared</th><th>seconds</th><th>ops/s</th><th>pause p50 ms</th>"
      "<th>p99 ms</th><th>max ms</th><th>full collection ms</th><th>peak heap</th>"
      "<th>bytes / object</th></tr></thead>\n<tbody>\n";
  std::string failures;
  for (const json& collector : report.collectors) {
    const std::string name = name_of(collector);
    const json& agreement = member(collector, "agreement");
    const json& events = member(collector, "events");
    const json& cost = member(collector, "cost");
    const json& pauses = member(cost, "pauses");
    const auto divergent = number_at(agreement, "divergent");
    const auto failed = number_at(agreement, "failed_workloads");
    const bool bad = divergent.value_or(0) > 0 || failed.value_or(0) > 0;
    const json& failure = member(agreement, "first_failure");
    fmt::format_to(Out(out),
                   "<tr{}><td><span class=\"swatch\" style=\"background:{}\"></span>"
                   "<code title=\"{}\">{}</code></td>",
                   bad ? " class=\"bad\"" : "", report.palette.colour(name),
                   escape(string_at(collector, "summary")), escape(name));
    fmt::format_to(
        Out(out), "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
        count_cell(number_at(agreement, "traces")), count_cell(divergent), count_cell(failed));
    fmt::format_to(Out(out), "<td class=\"failure\" title=\"{}\">{}</td>",
                   escape(string_at(failure, "detail")), escape(first_failure_text(failure)));
    for (const char* key : {"freed", "retained", "finalized", "garbage", "cleared"}) {
      fmt::format_to(Out(out), "<td class=\"n\">{}</td>", count_cell(number_at(events, key)));
    }
    fmt::format_to(Out(out), "<td class=\"n\">{}</td><td class=\"n\">{}</td>",
                   ms_cell(number_at(cost, "seconds")),
                   count_cell(number_at(cost, "ops_per_second")));
    for (const char* key : {"p50_ms", "p99_ms", "max_ms"}) {
      fmt::format_to(Out(out), "<td class=\"n\">{}</td>", ms_cell(number_at(pauses, key)));
    }
    fmt::format_to(Out(out),
                   "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
                   ms_cell(number_at(cost, "full_collection_ms")),
                   or_dash(number_at(cost, "peak_heap_bytes"), human_bytes),
                   or_dash(number_at(cost, "bytes_per_object"), human_bytes));
    out += "</tr>\n";
    if (failure.is_object()) {
      fmt::format_to(
          Out(failures), "<li><code>{}</code>: {}<br><code class=\"detail\">{}</code></li>\n",
          escape(name), escape(first_failure_text(failure)), escape(string_at(failure, "detail")));
    }
  }
  out += "</tbody></table></div>\n";
  out +=
      "<p class=\"note\">Highlighted rows diverged from the model or had a workload crash or "
      "time out. Times are the collector's own, the model and checks excluded; – means not "
      "measured.</p>\n";
  if (!failures.empty())
    out += "<h3>First failures</h3>\n<ul class=\"failures\">\n" + failures + "</ul>\n";
  return out;
}

std::string workload_table(Report& report) {
  std::string out =
      "<h2 id=\"workloads\">Workloads</h2>\n<table class=\"workloads\">\n<thead><tr>"
      "<th>workload</th><th>kind</th><th>traces</th><th>ops</th><th>description</th></tr>"
      "</thead>\n<tbody>\n";
  for (const json& workload : report.workloads) {
    fmt::format_to(Out(out),
                   "<tr><td><code>{}</code></td><td>{}</td><td class=\"n\">{}</td>"
                   "<td class=\"n\">{}</td><td>{}</td></tr>\n",
                   escape(name_of(workload)), escape(string_at(workload, "kind")),
                   count_cell(number_at(workload, "traces")),
                   count_cell(number_at(workload, "ops")),
                   escape(string_at(workload, "description")));
  }
  return out + "</tbody></table>\n";
}

struct StatusLook {
  std::string_view status, label;
};
constexpr StatusLook kStatuses[] = {
    {"ok", "ok"}, {"diverged", "diverged"}, {"crashed", "crashed"}, {"timed_out", "timed out"}};

std::string status_grid(Report& report) {
  std::string out = "<h3>Status of each collector on each workload</h3>\n<p class=\"legend\">";
  for (const StatusLook& s : kStatuses) {
    fmt::format_to(Out(out), "<span class=\"status {}\">{}</span> ", s.status, s.label);
  }
  out += "<span class=\"note\">hover a cell for the reason and figures</span></p>\n";
  out += "<div class=\"scroll\"><table class=\"grid\">\n<thead><tr><th>collector</th>";
  for (const json& workload : report.workloads) {
    fmt::format_to(Out(out), "<th class=\"vertical\"><span>{}</span></th>",
                   escape(name_of(workload)));
  }
  out += "</tr></thead>\n<tbody>\n";
  for (const json& collector : report.collectors) {
    const std::string name = name_of(collector);
    fmt::format_to(Out(out), "<tr><td><code>{}</code></td>", escape(name));
    for (const json& workload : report.workloads) {
      const std::string workload_name = name_of(workload);
      const json& entry = workload_entry(collector, workload_name);
      if (!entry.is_object()) {
        out += "<td class=\"status none\" title=\"not run\">–</td>";
        continue;
      }
      const std::string status = string_at(entry, "status");
      std::string_view label = status, cls = "unknown";
      for (const StatusLook& s : kStatuses) {
        if (s.status == status) {
          label = s.label;
          cls = s.status;
        }
      }
      std::string title = fmt::format("{} on {}: {}", name, workload_name, label);
      const std::string reason = string_at(entry, "reason");
      if (!reason.empty()) title += " — " + reason;
      title += fmt::format(
          "\ntraces {}, divergent {}, ops {}, {} s", count_cell(number_at(entry, "traces")),
          count_cell(number_at(entry, "divergent")), count_cell(number_at(entry, "ops")),
          ms_cell(number_at(entry, "seconds")));
      fmt::format_to(Out(out), "<td class=\"status {}\" title=\"{}\">{}</td>", cls, escape(title),
                     escape(label));
    }
    out += "</tr>\n";
  }
  return out + "</tbody></table></div>\n";
}

constexpr std::string_view kStyle = R"(
body { font: 14px/1.45 system-ui, "DejaVu Sans", "Helvetica Neue", Arial, sans-serif;
       color: #222; background: #fff; max-width: 1240px; margin: 0 auto; padding: 16px 20px 40px; }
h1 { font-size: 26px; margin: 4px 0 8px; }
h2 { font-size: 19px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #ddd; }
h3 { font-size: 15px; margin: 20px 0 8px; }
code { font: 12.5px/1.3 "DejaVu Sans Mono", Menlo, Consolas, monospace; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; }
dl.meta dt { color: #666; }
dl.meta dd { margin: 0; }
.warning { background: #fff4d6; border: 1px solid #e0b040; border-radius: 4px; padding: 6px 10px; }
.note { color: #666; font-size: 12.5px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 12px; }
th, td { padding: 3px 5px; border-bottom: 1px solid #e6e6e6; text-align: left; vertical-align: top; }
th { background: #f4f4f4; font-weight: 600; vertical-align: bottom; }
th.group { text-align: center; border-left: 2px solid #fff; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.summary td.failure { max-width: 130px; font-size: 11px; }
table.summary td:first-child { white-space: nowrap; }
table.summary code { font-size: 12px; }
tr.bad td { background: #fde4e4; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 6px; border-radius: 2px; }
ul.failures code.detail { color: #8a1f11; white-space: pre-wrap; }
table.workloads td:last-child { max-width: 640px; }
table.grid td { text-align: center; min-width: 52px; font-size: 11.5px; border: 1px solid #fff; }
table.grid td { white-space: nowrap; }
table.grid td:first-child { text-align: left; }
table.grid th.vertical { height: 100px; padding: 4px 2px; }
table.grid th.vertical span { writing-mode: vertical-rl; transform: rotate(180deg);
                              white-space: nowrap; font-weight: 500; }
.status { padding: 1px 6px; border-radius: 3px; }
.status.ok { background: #d5efd5; }
.status.diverged { background: #ffc98a; }
.status.crashed { background: #f08a8a; }
.status.timed_out { background: #c9b8f0; }
.status.none, .status.unknown { background: #eee; }
td.yes { background: #e2f3e2; }
td.no { background: #f8d0d0; }
figure { margin: 14px 0 22px; }
figcaption { font-size: 12.5px; color: #555; max-width: 1000px; margin-top: 4px; }
.multiples { display: flex; flex-wrap: wrap; gap: 8px 24px; }
.multiples figure { width: 600px; }
svg { display: block; background: #fff; }
svg text { font-family: system-ui, "DejaVu Sans", Arial, sans-serif; font-size: 11px; fill: #333; }
svg text.axis-label { font-size: 11.5px; fill: #555; }
svg text.chart-title { font-size: 13px; font-weight: 600; fill: #222; }
svg text.note { fill: #888; font-style: italic; }
svg text.missed { fill: #b3261e; font-weight: 600; }
svg line.axis { stroke: #555; stroke-width: 1; }
svg line.grid { stroke: #e8e8e8; stroke-width: 1; }
)";

}  // namespace

std::string render_html_report(const nlohmann::json& compare) {
  Report report{.compare = compare,
                .workloads = array_at(compare, "workloads"),
                .collectors = array_at(compare, "collectors")};
  // Registry order fixes the colours before any chart asks for one.
  for (const json& collector : report.collectors) report.palette.colour(name_of(collector));

  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>gcfuzz compare</title>\n<style>";
  out += kStyle;
  out += "</style>\n</head>\n<body>\n";
  out += header(compare);
  out += summary_table(report);
  out += collection_time_section(report);
  out += "<h2 id=\"pauses\">Pause distribution</h2>\n" + pause_chart(report);
  out += "<h2 id=\"memory\">Memory overhead</h2>\n" + memory_chart(report);
  out += mutation_score_section(report);
  out += workload_table(report);
  out += status_grid(report);
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace gcfuzz
