"""The real-Debian-archive tier: a chroot bootstrapped from the release suite, given the machine's own
-updates/-security sources, so the packages module meets real pending updates (tests/integration/packages/
test_debian_archive*.py). Independent of the lab's hosts and packages: own cache, own mounts, own ports."""
