# `cmake --install` and the Debian package (CPack).
#
# Layout under the prefix: bin/gossiplab and bin/gossip-node; share/gossiplab/ with
# scenarios/, adapters/ (each NAME/impl.json and its scripts) and docs/; `gossiplab` finds
# share/gossiplab relative to its own binary (bin/../share/gossiplab), so a package unpacked
# anywhere runs; GOSSIPLAB_HOME still overrides. The report assets are compiled into the
# binary (reports/assets/embed.cmake), so nothing else is read at run time.
#
# The paths are fixed (bin/, share/gossiplab/), not GNUInstallDirs': the binary looks for its
# data at exactly bin/../share/gossiplab.

install(TARGETS gossiplab gossip-node RUNTIME DESTINATION bin)
# memberlist-node is a build output of adapters/memberlist/run.sh (needs Go): shipped when
# it was built (cmake --build B --target memberlist-node), so an installed memberlist
# adapter does not need to write into bin/.
install(PROGRAMS ${CMAKE_BINARY_DIR}/bin/memberlist-node DESTINATION bin OPTIONAL)
install(DIRECTORY scenarios/ DESTINATION share/gossiplab/scenarios
        FILES_MATCHING PATTERN "*.json" PATTERN "tests" EXCLUDE)
install(DIRECTORY adapters/ DESTINATION share/gossiplab/adapters USE_SOURCE_PERMISSIONS
        PATTERN "tests" EXCLUDE PATTERN "CMakeLists.txt" EXCLUDE PATTERN "README.md" EXCLUDE
        PATTERN "__pycache__" EXCLUDE)
install(FILES adapters/README.md DESTINATION share/gossiplab/adapters)
install(DIRECTORY docs/ DESTINATION share/gossiplab/docs)
install(PROGRAMS scripts/ci-recipe.sh DESTINATION share/gossiplab/scripts)
install(FILES README.md DESTINATION share/gossiplab)

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "gossiplab")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "gossiplab maintainers <gossiplab@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "fault-injection harness and conformance suite for gossip membership protocols")
set(CPACK_PACKAGE_DESCRIPTION
    "gossiplab launches gossip-node processes (or any implementation that meets its node \
contract) in Linux network namespaces, injects loss, delay, partitions, kills and pauses, \
records one history and judges it: convergence, failure detection, accuracy, refutation, \
partition healing, dissemination and message load, with JSON, HTML and JUnit reports.")
set(CPACK_PACKAGE_INSTALL_DIRECTORY "gossiplab")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)  # no debug info in the package: a tenth of the size
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # gossiplab_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION "devel")
# The shared libraries (libnl, libnetfilter-queue, libstdc++) come from
# dpkg-shlibdeps; the programs the lab runs are named here: iptables (the nfqueue rules and
# the netem backend's counters), iproute2 (tc, ip). python3 runs the serf adapter, serf and
# Go the third-party adapters (scripts/setup.sh --serf --go in a source checkout).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "iptables, iproute2")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "python3")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "serf, golang-go, golang-github-hashicorp-memberlist-dev")
include(CPack)

# The package as a user gets it, unpacked into a temporary prefix and run from there
# (scripts/package-test.sh: CPack, Depends:, the CI recipe on one short scenario).
add_test(NAME package_test COMMAND ${CMAKE_SOURCE_DIR}/scripts/package-test.sh ${CMAKE_BINARY_DIR})
set_tests_properties(package_test PROPERTIES LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 600)
