package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
)

// Inline is an image the HTML part shows as <img src="cid:CID">.
type Inline struct {
	CID         string // without angle brackets, e.g. cpu@golive
	ContentType string // image/png
	Filename    string
	Data        []byte
}

// Message is a mail with a plain-text part and, optionally, an HTML
// alternative with inline images:
//
//	multipart/alternative
//	├─ text/plain
//	└─ multipart/related; type="text/html"
//	   ├─ text/html  (cid: references)
//	   └─ image/png  (Content-ID, inline), ...
//
// Clients that show HTML pick the last alternative; the others read text.
type Message struct {
	From      *mail.Address
	To        []*mail.Address
	Subject   string
	Date      time.Time
	MessageID string            // without brackets; empty: random
	Headers   map[string]string // extra headers, e.g. X-Golive-Report
	Text      string
	HTML      string
	Inline    []Inline
}

// Bytes encodes the message with CRLF line ends, ready for Smarthost.Send.
func (m Message) Bytes() ([]byte, error) {
	var hdr strings.Builder
	if m.From != nil {
		Header(&hdr, "From", m.From.String())
	}
	Header(&hdr, "To", AddressList(m.To))
	Header(&hdr, "Subject", m.Subject)
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	Header(&hdr, "Date", date.Format(time.RFC1123Z))
	id := m.MessageID
	if id == "" {
		var b [12]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:]) + "@golive"
	}
	Header(&hdr, "Message-ID", "<"+id+">")
	for k, v := range m.Headers {
		Header(&hdr, textproto.CanonicalMIMEHeaderKey(k), v)
	}
	Header(&hdr, "MIME-Version", "1.0")

	var body bytes.Buffer
	if m.HTML == "" {
		Header(&hdr, "Content-Type", "text/plain; charset=UTF-8")
		Header(&hdr, "Content-Transfer-Encoding", "quoted-printable")
		if err := writeQP(&body, m.Text); err != nil {
			return nil, err
		}
		return append([]byte(hdr.String()+"\r\n"), body.Bytes()...), nil
	}
	alt := multipart.NewWriter(&body)
	Header(&hdr, "Content-Type", `multipart/alternative; boundary="`+alt.Boundary()+`"`)
	if err := qpPart(alt, "text/plain; charset=UTF-8", m.Text); err != nil {
		return nil, err
	}
	var rel bytes.Buffer
	related := multipart.NewWriter(&rel)
	if err := qpPart(related, "text/html; charset=UTF-8", m.HTML); err != nil {
		return nil, err
	}
	for _, in := range m.Inline {
		h := textproto.MIMEHeader{}
		h.Set("Content-Type", in.ContentType)
		h.Set("Content-Transfer-Encoding", "base64")
		h.Set("Content-ID", "<"+in.CID+">")
		disp := "inline"
		if in.Filename != "" {
			disp += fmt.Sprintf(`; filename="%s"`, SanitizeID(in.Filename))
		}
		h.Set("Content-Disposition", disp)
		w, err := related.CreatePart(h)
		if err != nil {
			return nil, err
		}
		if err := writeBase64(w, in.Data); err != nil {
			return nil, err
		}
	}
	if err := related.Close(); err != nil {
		return nil, err
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", `multipart/related; type="text/html"; boundary="`+related.Boundary()+`"`)
	w, err := alt.CreatePart(h)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(rel.Bytes()); err != nil {
		return nil, err
	}
	if err := alt.Close(); err != nil {
		return nil, err
	}
	return append([]byte(hdr.String()+"\r\n"), body.Bytes()...), nil
}

func qpPart(mw *multipart.Writer, contentType, text string) error {
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", contentType)
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	w, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := writeQP(&b, text); err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}

func writeQP(b *bytes.Buffer, text string) error {
	qp := quotedprintable.NewWriter(b)
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\n", "\r\n")
	if _, err := qp.Write([]byte(text)); err != nil {
		return err
	}
	return qp.Close()
}

// writeBase64 writes data in 76-character lines (RFC 2045).
func writeBase64(w interface{ Write([]byte) (int, error) }, data []byte) error {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		if _, err := w.Write([]byte(enc[:76] + "\r\n")); err != nil {
			return err
		}
		enc = enc[76:]
	}
	_, err := w.Write([]byte(enc + "\r\n"))
	return err
}
