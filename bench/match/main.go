// Command match benchmarks "phalanx match" against grep -F -f and rg -F -f
// on one generated log file and one set of exact indicator values, then
// runs phalanx alone with CIDR and subdomain semantics on. bench/match.sh
// builds it and prints the machine first; see docs/benchmarks.md.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/phalanx-ledger/phalanx/bench/internal/report"
	"github.com/phalanx-ledger/phalanx/internal/detect/loggen"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "match:", err)
		os.Exit(1)
	}
}

type options struct {
	bin, work, iocs string
	size            int64
	indicators      int
	planted         int
	timeout         time.Duration
	tools           string
	pairs           int
	compare         string
}

func run() error {
	var o options
	var size string
	flag.StringVar(&o.bin, "bin", "", "phalanx binary")
	flag.StringVar(&o.work, "work", "", "directory for the generated data")
	flag.StringVar(&o.iocs, "iocs", "", "../shared/testdata/iocs")
	flag.StringVar(&size, "size", "1GB", "log size (e.g. 50MB, 1GB)")
	flag.IntVar(&o.indicators, "indicators", 1_000_000, "exact indicator values")
	flag.IntVar(&o.planted, "planted", 10_000, "indicator values planted in the log (about)")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "bound on each grep/rg run")
	flag.StringVar(&o.tools, "tools", "phalanx,grep,rg", "tools to compare")
	flag.IntVar(&o.pairs, "pairs", 0, "then this many exact/CIDR pairs on one core, one after the other, for the cost ratio")
	flag.StringVar(&o.compare, "compare", "", "another phalanx binary (e.g. an older build) whose pairs alternate with -bin's")
	flag.Parse()
	var err error
	if o.size, err = parseSize(size); err != nil {
		return err
	}
	if o.bin == "" || o.work == "" || o.iocs == "" {
		return errors.New("-bin, -work and -iocs are required")
	}
	d, err := generate(o)
	if err != nil {
		return err
	}
	if err := compare(o, d); err != nil {
		return err
	}
	return pairs(o, d)
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	u := strings.ToUpper(s)
	for suffix, m := range map[string]int64{"KB": 1e3, "MB": 1e6, "GB": 1e9} {
		if strings.HasSuffix(u, suffix) {
			mult, u = m, strings.TrimSuffix(u, suffix)
		}
	}
	n, err := strconv.ParseInt(u, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("size %q: want e.g. 50MB or 1GB", s)
	}
	return n * mult, nil
}

// data are the generated files.
type data struct {
	values, cidrValues, log string
	plants                  []loggen.Plant
	logBytes                int64
}

// generate writes the exact values (the shared IOC lists topped up with
// synthetic addresses, domains, hashes and URLs), the same plus 10,000 CIDR
// blocks, and the log with values planted among decoys.
func generate(o options) (*data, error) {
	start := time.Now()
	values, err := loggen.SharedIOCs(o.iocs)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(7, 8))
	avoid := make(map[string]bool, o.indicators)
	for _, v := range values {
		avoid[v] = true
	}
	values = loggen.TopUp(rng, values, avoid, o.indicators)
	d := &data{values: filepath.Join(o.work, "indicators.txt"), cidrValues: filepath.Join(o.work, "indicators-cidr.txt"),
		log: filepath.Join(o.work, "mixed.log")}
	if err := os.WriteFile(d.values, []byte(strings.Join(values, "\n")+"\n"), 0o600); err != nil {
		return nil, err
	}
	cidrs := make([]string, 0, 10_000)
	for range 10_000 {
		bits := 16 + rng.IntN(13)
		a := uint32(rng.Uint32())
		a &^= 1<<(32-bits) - 1
		cidrs = append(cidrs, fmt.Sprintf("%d.%d.%d.%d/%d", 1+byte(a>>24)%223, byte(a>>16), byte(a>>8), byte(a), bits))
	}
	if err := os.WriteFile(d.cidrValues, []byte(strings.Join(append(values, cidrs...), "\n")+"\n"), 0o600); err != nil {
		return nil, err
	}
	f, err := os.Create(d.log)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	g := &loggen.Generator{Rand: rng, Indicators: values, Avoid: avoid, PlantEvery: max(1, int(o.size/115)/o.planted)}
	if d.plants, err = g.Text(f, o.size); err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	d.logBytes = st.Size()
	fmt.Printf("== data (generated in %s): %s of mixed DNS/proxy/firewall/EDR lines, %s exact values, %s planted\n\n",
		time.Since(start).Round(time.Second), report.MiB(uint64(d.logBytes)), report.Thousands(len(values)), report.Thousands(len(d.plants)))
	return d, nil
}

// result is one measured run.
type result struct {
	wall   time.Duration
	cpu    time.Duration // user + system
	rss    uint64        // bytes
	out    string        // stdout file
	failed string
	// scanCPU is the CPU time phalanx itself reports for the scan
	// (--stats), without the index build; 0 for other tools.
	scanCPU time.Duration
}

// measure runs a command with stdout to a file and returns wall time and
// peak RSS.
func measure(o options, out string, env []string, name string, args ...string) result {
	f, err := os.Create(out)
	if err != nil {
		return result{failed: err.Error()}
	}
	defer f.Close()
	cmd := exec.Command("timeout", append([]string{strconv.Itoa(int(o.timeout.Seconds())), name}, args...)...)
	cmd.Stdout = f
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Env = append(os.Environ(), env...)
	start := time.Now()
	err = cmd.Run()
	r := result{wall: time.Since(start), out: out}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.rss = uint64(ru.Maxrss) * 1024
		r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if m := statsCPU.FindStringSubmatch(stderr.String()); m != nil {
		if sec, err := strconv.ParseFloat(m[1], 64); err == nil {
			r.scanCPU = time.Duration(sec * float64(time.Second))
		}
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee) && ee.ExitCode() == 124:
		r.failed = fmt.Sprintf("did not finish in %s", o.timeout)
	case errors.As(err, &ee) && ee.ExitCode() == 1 && name != o.bin:
		// grep and rg exit 1 when nothing matched
	case err != nil:
		r.failed = fmt.Sprintf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return r
}

// statsCPU finds the scan's CPU time in phalanx match --stats output.
var statsCPU = regexp.MustCompile(`(?m)^scan: .*, cpu ([0-9.]+)s:`)

// tool is one way of matching the log.
type tool struct {
	name   string
	cmd    func(indicators, log string) (string, []string)
	env    []string
	parse  func(path string) (map[int64]bool, int, error) // hit lines and hit count
	pin    bool                                           // run pinned to one core
	values string
}

func compare(o options, d *data) error {
	empty := filepath.Join(o.work, "empty.log")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		return err
	}
	plantedLines := map[int64]bool{}
	for _, p := range d.plants {
		plantedLines[p.Line] = true
	}
	phalanx := func(workers string, exact bool) func(string, string) (string, []string) {
		return func(ind, log string) (string, []string) {
			args := []string{"match", "--indicators", ind, "--json", "--stats", "--workers", workers}
			if exact {
				args = append(args, "--exact")
			}
			return o.bin, append(args, log)
		}
	}
	grepLike := func(bin string) func(string, string) (string, []string) {
		return func(ind, log string) (string, []string) { return bin, []string{"-n", "-F", "-f", ind, log} }
	}
	tools := []tool{
		{name: "phalanx match --exact (1 core)", cmd: phalanx("1", true), env: []string{"GOMAXPROCS=1"}, parse: phalanxHits, pin: true, values: d.values},
		{name: "phalanx match --exact (all cores)", cmd: phalanx("0", true), parse: phalanxHits, values: d.values},
		{name: "grep -F -f (1 core)", cmd: grepLike("grep"), parse: grepHits, pin: true, values: d.values},
		{name: "rg -F -f (1 core)", cmd: grepLike("rg"), parse: grepHits, pin: true, values: d.values},
		{name: "phalanx match, CIDR+subdomains (1 core)", cmd: phalanx("1", false), env: []string{"GOMAXPROCS=1"}, parse: phalanxHits, pin: true, values: d.cidrValues},
		{name: "phalanx match, CIDR+subdomains (all cores)", cmd: phalanx("0", false), parse: phalanxHits, values: d.cidrValues},
	}
	rows := []report.Row{{"tool", "index build: wall (CPU)", "scan MB/s per CPU-second (wall MB/s, total wall)", "peak RSS"}}
	perCPU := map[string]float64{} // scan MB/s per CPU-second by tool
	hitRows := []report.Row{{"tool", "hit lines", "false hit lines", "planted lines missed"}}
	for i, t := range tools {
		if !selected(o.tools, t.name) {
			continue
		}
		fmt.Printf("running %s ...\n", t.name)
		wrap := func(name string, args []string) (string, []string) {
			if t.pin {
				return "taskset", append([]string{"-c", "0", name}, args...)
			}
			return name, args
		}
		bn, ba := wrap(t.cmd(t.values, empty))
		build := measure(o, filepath.Join(o.work, fmt.Sprintf("build-%d.out", i)), t.env, bn, ba...)
		sn, sa := wrap(t.cmd(t.values, d.log))
		scan := measure(o, filepath.Join(o.work, fmt.Sprintf("scan-%d.out", i)), t.env, sn, sa...)
		if build.failed != "" || scan.failed != "" {
			rows = append(rows, report.Row{t.name, build.failed, scan.failed, report.MiB(scan.rss)})
			continue
		}
		mbps := func(d time.Duration, logBytes int64) string {
			if d < 50*time.Millisecond {
				return "n/a"
			}
			return fmt.Sprintf("%.0f", float64(logBytes)/1e6/d.Seconds())
		}
		scanCPU := scan.cpu - build.cpu
		if scan.scanCPU > 0 {
			scanCPU = scan.scanCPU // measured in the process: no second run's noise
		}
		if scanCPU > 0 {
			perCPU[t.name] = float64(d.logBytes) / 1e6 / scanCPU.Seconds()
		}
		rows = append(rows, report.Row{t.name,
			fmt.Sprintf("%s (%s)", build.wall.Round(10*time.Millisecond), build.cpu.Round(10*time.Millisecond)),
			fmt.Sprintf("%s (%s, %s)", mbps(scanCPU, d.logBytes), mbps(scan.wall-build.wall, d.logBytes), scan.wall.Round(10*time.Millisecond)),
			report.MiB(scan.rss)})
		lines, _, err := t.parse(scan.out)
		if err != nil {
			return err
		}
		falseHits, missed := 0, 0
		for l := range lines {
			if !plantedLines[l] {
				falseHits++
			}
		}
		for l := range plantedLines {
			if !lines[l] {
				missed++
			}
		}
		note := report.Thousands(falseHits)
		if strings.Contains(t.name, "CIDR") {
			note += " (CIDR/parent-domain hits, true by those semantics)"
		}
		hitRows = append(hitRows, report.Row{t.name, report.Thousands(len(lines)), note, report.Thousands(missed)})
	}
	fmt.Println()
	fmt.Printf("== %s log, %s exact values, %s lines with a planted value\n\n", report.MiB(uint64(d.logBytes)), report.Thousands(countLines(d.values)), report.Thousands(len(plantedLines)))
	report.WriteRows(os.Stdout, rows)
	fmt.Println()
	report.WriteRows(os.Stdout, hitRows)
	fmt.Println()
	for _, cores := range []string{"1 core", "all cores"} {
		exact, sem := perCPU["phalanx match --exact ("+cores+")"], perCPU["phalanx match, CIDR+subdomains ("+cores+")"]
		if exact > 0 && sem > 0 {
			fmt.Printf("CIDR+subdomains cost (%s, per CPU-second): %.0f vs %.0f MB/s exact = %.2f× (target ≤ 2×)\n", cores, sem, exact, exact/sem)
		}
	}
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Printf("load:    %s (1/5/15 min, after the run)\n", strings.Join(strings.Fields(string(la))[:3], " "))
	}
	fmt.Println("\nindex build = the same command on an empty log; scan MB/s per CPU-second = log size / the scan's CPU time")
	fmt.Println("(phalanx: what --stats reports, index build excluded; grep, rg: CPU time - build CPU time), which holds up")
	fmt.Println("when other work shares the cores; wall MB/s = log size / (wall - build wall).")
	fmt.Println("grep and rg search one file on one thread; pinning them to one core changes nothing.")
	return nil
}

func selected(tools, name string) bool {
	for _, t := range strings.Split(tools, ",") {
		if strings.HasPrefix(name, t+" ") {
			return true
		}
	}
	return false
}

func countLines(path string) int {
	b, _ := os.ReadFile(path)
	return bytes.Count(b, []byte{'\n'})
}

// phalanxHits reads JSON hits: the set of lines and the number of hits.
func phalanxHits(path string) (map[int64]bool, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	lines := map[int64]bool{}
	n := 0
	dec := json.NewDecoder(bufio.NewReaderSize(f, 1<<20))
	for {
		var h struct {
			Line int64 `json:"line"`
		}
		if err := dec.Decode(&h); err == io.EOF {
			return lines, n, nil
		} else if err != nil {
			return nil, 0, fmt.Errorf("decode %s: %w", path, err)
		}
		lines[h.Line] = true
		n++
	}
}

// grepHits reads "N:line" output.
func grepHits(path string) (map[int64]bool, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	lines := map[int64]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		n, _, _ := strings.Cut(sc.Text(), ":")
		l, err := strconv.ParseInt(n, 10, 64)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: line %q", path, sc.Text())
		}
		lines[l] = true
	}
	return lines, len(lines), sc.Err()
}

// pairs runs o.pairs exact/CIDR pairs on one core (with -compare's binary
// alternating with -bin's) and prints the CIDR+subdomains cost of each:
// the machine's speed moves between runs, so one pair says little and the
// spread of several says how far to trust the median.
func pairs(o options, d *data) error {
	if o.pairs <= 0 {
		return nil
	}
	bins := []string{o.bin}
	if o.compare != "" {
		bins = append(bins, o.compare)
	}
	fmt.Printf("\n== %d exact/CIDR+subdomains pairs, 1 core, scan CPU as phalanx --stats reports it\n\n", o.pairs)
	ratios := make([][]float64, len(bins))
	run := func(bin, values string, exact bool) (time.Duration, error) {
		args := []string{"-c", "0", bin, "match", "--indicators", values, "--json", "--stats", "--workers", "1"}
		if exact {
			args = append(args, "--exact")
		}
		r := measure(o, filepath.Join(o.work, "pair.out"), []string{"GOMAXPROCS=1"}, "taskset", append(args, d.log)...)
		if r.failed != "" || r.scanCPU <= 0 {
			return 0, fmt.Errorf("%s: %s (no scan CPU in its --stats?)", bin, r.failed)
		}
		return r.scanCPU, nil
	}
	for i := range o.pairs {
		for b, bin := range bins {
			exact, err := run(bin, d.values, true)
			if err != nil {
				return err
			}
			sem, err := run(bin, d.cidrValues, false)
			if err != nil {
				return err
			}
			ratios[b] = append(ratios[b], sem.Seconds()/exact.Seconds())
			mb := float64(d.logBytes) / 1e6
			fmt.Printf("pair %d  %-28s exact %4.0f MB/s  CIDR+subdomains %4.0f MB/s  = %.2f×\n", i+1, bin,
				mb/exact.Seconds(), mb/sem.Seconds(), sem.Seconds()/exact.Seconds())
		}
	}
	fmt.Println()
	for b, bin := range bins {
		r := slices.Clone(ratios[b])
		slices.Sort(r)
		med := r[len(r)/2]
		if len(r)%2 == 0 {
			med = (r[len(r)/2-1] + r[len(r)/2]) / 2
		}
		fmt.Printf("%s: CIDR+subdomains cost %.2f–%.2f×, median %.2f× over %d pairs (target ≤ 2×)\n", bin, r[0], r[len(r)-1], med, len(r))
	}
	return nil
}
