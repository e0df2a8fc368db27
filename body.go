package accesstokens

import (
	"errors"
	"fmt"
	"io"
	"sync"
)

// Reading answer bodies: through a size cap, so that a hostile or broken
// server cannot exhaust the client's memory, into pooled buffers for 2xx
// answers.

var errBodyTooLarge = errors.New("the answer is larger than the client accepts")

// readBufs recycles the buffers that 2xx answers are read into. Nothing
// decoded points into them (json.Unmarshal copies every string and byte
// slice out, and error texts are copied too), so a buffer is free again as
// soon as decode returns.
var readBufs = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledReadBuf keeps rare huge answers from staying in the pool; a page
// of 1000 tokens is well below it.
const maxPooledReadBuf = 1 << 20

// readBody reads at most limit bytes. Over the limit it fails, unless
// truncateOK (error bodies), where the first limit bytes are enough.
// Content-Length, when known and within the limit, sizes the buffer at once.
func readBody(r io.Reader, contentLength, limit int64, truncateOK bool) ([]byte, error) {
	return readBodyInto(nil, r, contentLength, limit, truncateOK)
}

// readBodyInto is readBody reading into buf, which it reuses from its start
// when its capacity is enough and replaces when it is not.
func readBodyInto(buf []byte, r io.Reader, contentLength, limit int64, truncateOK bool) ([]byte, error) {
	if contentLength > limit && !truncateOK {
		return nil, fmt.Errorf("%w (%d bytes announced, limit %d)", errBodyTooLarge, contentLength, limit)
	}
	size := int64(512)
	if contentLength >= 0 && contentLength <= limit {
		size = contentLength + 1 // +1 so that the EOF read needs no growth
	}
	if int64(cap(buf)) < size {
		buf = make([]byte, 0, size)
	}
	buf = buf[:0]
	lr := io.LimitedReader{R: r, N: limit + 1}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return buf, err
		}
	}
	if int64(len(buf)) > limit {
		if truncateOK {
			return buf[:limit], nil
		}
		return nil, fmt.Errorf("%w (limit %d bytes)", errBodyTooLarge, limit)
	}
	return buf, nil
}

// maxErrorBodyBytes caps how much of an error answer is read: a hostile or
// broken server cannot make the client hold more than this in memory.
const maxErrorBodyBytes = 1 << 20
