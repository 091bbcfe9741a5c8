package mail

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"
)

func TestMessageStructure(t *testing.T) {
	from := &mail.Address{Name: "golive", Address: "golive@example.org"}
	to := []*mail.Address{{Address: "a@example.org"}, {Name: "值班", Address: "b@example.org"}}
	m := Message{From: from, To: to, Subject: "日报\r\nBcc: evil@example.org", Date: time.Unix(0, 0), MessageID: "x@golive",
		Text: "plain\n", HTML: `<img src="cid:c@golive">`, Inline: []Inline{{CID: "c@golive", ContentType: "image/png", Data: bytes.Repeat([]byte{1}, 200)}}}
	raw, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get("Bcc") != "" {
		t.Fatal("a subject with CRLF injected a header")
	}
	subj, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if !strings.HasPrefix(subj, "日报") {
		t.Errorf("subject = %q", subj)
	}
	if got, _ := msg.Header.AddressList("To"); len(got) != 2 || got[1].Name != "值班" {
		t.Errorf("to = %v", got)
	}
	_, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	mr := multipart.NewReader(msg.Body, params["boundary"])
	p1, _ := mr.NextPart()
	if p1.Header.Get("Content-Type") != "text/plain; charset=UTF-8" {
		t.Errorf("first part %q", p1.Header.Get("Content-Type"))
	}
	p2, _ := mr.NextPart()
	typ, rp, _ := mime.ParseMediaType(p2.Header.Get("Content-Type"))
	if typ != "multipart/related" || rp["type"] != "text/html" {
		t.Fatalf("second part %q %v", typ, rp)
	}
	rr := multipart.NewReader(p2, rp["boundary"])
	h, _ := rr.NextPart()
	body, _ := io.ReadAll(h)
	if !strings.Contains(string(body), "cid:c@golive") {
		t.Errorf("html = %q", body)
	}
	img, _ := rr.NextRawPart()
	if img.Header.Get("Content-ID") != "<c@golive>" || !strings.HasPrefix(img.Header.Get("Content-Disposition"), "inline") {
		t.Errorf("image headers %v", img.Header)
	}
	b64, _ := io.ReadAll(img)
	for _, line := range strings.Split(strings.TrimSpace(string(b64)), "\r\n") {
		if len(line) > 76 {
			t.Errorf("base64 line of %d characters", len(line))
		}
	}
}

func TestPlainMessage(t *testing.T) {
	raw, err := Message{From: &mail.Address{Address: "a@example.org"}, Subject: "s", Text: "x=1\n"}.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := mail.ReadMessage(bytes.NewReader(raw))
	if msg.Header.Get("Content-Type") != "text/plain; charset=UTF-8" || msg.Header.Get("Content-Transfer-Encoding") != "quoted-printable" {
		t.Errorf("headers %v", msg.Header)
	}
}

func TestRetryable(t *testing.T) {
	if Retryable(ErrNoTLS) || Retryable(ErrNoAuth) || !Retryable(io.ErrUnexpectedEOF) {
		t.Error("classification")
	}
}
