package exporter

import (
	"bufio"
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// gzipLevel trades a little compression for a third of the CPU: a full
// cycle's exposition (~130 KB) is the bulk of a scrape's cost once gzipped,
// and Prometheus asks for gzip on every scrape.
const gzipLevel = gzip.BestSpeed

// gzipWriters keeps a few compressors across scrapes. promhttp keeps its own
// in a sync.Pool, which the GC empties, so with a collection per scrape every
// scrape built a new one (hundreds of KB) and made the next collection come
// sooner. A channel is not emptied by the GC.
var gzipWriters = make(chan *gzip.Writer, 4)

func getGzip(w http.ResponseWriter) *gzip.Writer {
	select {
	case gz := <-gzipWriters:
		gz.Reset(w)
		return gz
	default:
		gz, _ := gzip.NewWriterLevel(w, gzipLevel) // the level is valid
		return gz
	}
}

func putGzip(gz *gzip.Writer) {
	gz.Reset(nil) // let go of the response
	select {
	case gzipWriters <- gz:
	default:
	}
}

// bufferedResponse writes the body through a bufio.Writer; headers go to the
// wrapped writer. Being a bufio.Writer in expfmt's eyes (WriteString,
// WriteByte, WriteRune), it makes expfmt write into it directly: given a
// plain writer, expfmt takes a bufio.Writer from its pool for each metric
// family and flushes it at the family's end, which for ~250 families was
// 250 small writes into the compressor and a third of encoding's CPU.
type bufferedResponse struct {
	http.ResponseWriter
	*bufio.Writer
}

// Write resolves the ambiguity between the two embedded Write methods.
func (b bufferedResponse) Write(p []byte) (int, error) { return b.Writer.Write(p) }

// bufferSize is well above a metric family's text and small beside a
// compressor's window.
const bufferSize = 16 << 10

// bufWriters keeps buffers across scrapes, for the reason gzipWriters does.
var bufWriters = make(chan *bufio.Writer, 4)

func getBuffer(w io.Writer) *bufio.Writer {
	select {
	case b := <-bufWriters:
		b.Reset(w)
		return b
	default:
		return bufio.NewWriterSize(w, bufferSize)
	}
}

func putBuffer(b *bufio.Writer) {
	b.Reset(nil)
	select {
	case bufWriters <- b:
	default:
	}
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip: named
// with a non-zero q, or covered by "*" with a non-zero q and not refused by
// name.
func acceptsGzip(header string) bool {
	gzipQ, starQ := -1.0, -1.0
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil || f < 0 {
					f = 0 // a malformed weight accepts nothing
				}
				q = f
			}
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "gzip", "x-gzip":
			gzipQ = q
		case "*":
			starQ = q
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return starQ > 0
}
