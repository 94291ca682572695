# Writes a .cpp that holds report.js and report.css as string constants (run at build time).
file(READ "${JS}" js)
file(READ "${CSS}" css)
foreach(text js css)
  string(FIND "${${text}}" ")GLASSET\"" bad)
  if(NOT bad EQUAL -1)
    message(FATAL_ERROR "${text} contains the raw-string delimiter )GLASSET\"")
  endif()
endforeach()
file(WRITE "${OUT}.tmp" "// Generated from reports/assets/ by embed.cmake: the script and style of report.html.
#include \"internal.h\"
namespace gossiplab::reports::detail {
const std::string_view kReportJs = R\"GLASSET(${js})GLASSET\";
const std::string_view kReportCss = R\"GLASSET(${css})GLASSET\";
}  // namespace gossiplab::reports::detail
")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
