package importer

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Stats is an import's progress.
type Stats struct {
	Read                          int64 // entries read
	Done, Total                   int64 // source units (bytes or events); Total 0 if unknown
	Elapsed                       time.Duration
	Accepted, Duplicate, Rejected int64
}

// Rate is entries read per second.
func (s Stats) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Read) / s.Elapsed.Seconds()
}

// ETA estimates the time left from the share of the source done.
func (s Stats) ETA() (time.Duration, bool) {
	if s.Total <= 0 || s.Done <= 0 || s.Done > s.Total {
		return 0, false
	}
	left := float64(s.Total-s.Done) / float64(s.Done) * float64(s.Elapsed)
	return time.Duration(left).Round(time.Second), true
}

// Progress receives an import's progress after each batch.
type Progress interface {
	Update(Stats)
	Done(Stats)
}

// Bar draws a one-line progress bar with rate and ETA, for terminals.
type Bar struct {
	W     io.Writer
	Width int // bar cells; 0 means 30
}

// Update redraws the bar.
func (b *Bar) Update(s Stats) { fmt.Fprint(b.W, "\r"+b.line(s)+"\x1b[K") }

// Done draws the final state and ends the line.
func (b *Bar) Done(s Stats) { fmt.Fprint(b.W, "\r"+b.line(s)+"\x1b[K\n") }

func (b *Bar) line(s Stats) string {
	width := b.Width
	if width == 0 {
		width = 30
	}
	pct, bar := "  ?%", strings.Repeat("·", width)
	if s.Total > 0 {
		f := min(float64(s.Done)/float64(s.Total), 1)
		n := int(f * float64(width))
		bar = strings.Repeat("█", n) + strings.Repeat("·", width-n)
		pct = fmt.Sprintf("%3.0f%%", f*100)
	}
	eta := "--:--"
	if d, ok := s.ETA(); ok {
		eta = fmtDuration(d)
	}
	return fmt.Sprintf("[%s] %s %d read %.0f/s ETA %s (accepted %d, duplicate %d, rejected %d)",
		bar, pct, s.Read, s.Rate(), eta, s.Accepted, s.Duplicate, s.Rejected)
}

func fmtDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, sec := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, sec)
	}
	return fmt.Sprintf("%02d:%02d", m, sec)
}

// Log writes a plain progress line at most every Every (and at the end),
// for logs and pipes.
type Log struct {
	W     io.Writer
	Every time.Duration // 0 means 5s
	last  time.Time
}

// Update writes a line if Every has passed since the last.
func (l *Log) Update(s Stats) {
	every := l.Every
	if every == 0 {
		every = 5 * time.Second
	}
	if time.Since(l.last) < every {
		return
	}
	l.last = time.Now()
	l.write("progress", s)
}

// Done writes the final line.
func (l *Log) Done(s Stats) { l.write("done", s) }

func (l *Log) write(what string, s Stats) {
	eta := "unknown"
	if d, ok := s.ETA(); ok {
		eta = d.String()
	}
	pct := "unknown"
	if s.Total > 0 {
		pct = fmt.Sprintf("%.1f%%", float64(s.Done)*100/float64(s.Total))
	}
	fmt.Fprintf(l.W, "import %s: read=%d done=%s rate=%.0f/s eta=%s accepted=%d duplicate=%d rejected=%d\n",
		what, s.Read, pct, s.Rate(), eta, s.Accepted, s.Duplicate, s.Rejected)
}
