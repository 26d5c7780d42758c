# Sourced by the benchmark scripts: prints the machine a run is on.
print_machine() {
  local tmp="${TMPDIR:-/tmp}"
  echo "== machine"
  echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host:    $(uname -srm)"
  echo "cpu:     $(nproc) CPUs available, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "memory:  $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "disk:    data directories under $tmp ($(df -PT "$tmp" | awk 'NR==2 {print $2}'))"
  echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, before the run)"
  echo "go:      $(go version | cut -d' ' -f3-)"
  echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (+ uncommitted changes)')"
  echo
}
