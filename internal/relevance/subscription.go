package relevance

import (
	"net/url"
	"strings"
	"unicode"

	"github.com/phalanx-ledger/phalanx/internal/errs"
)

// Limits of a subscription.
const (
	MaxSubscriptions = 100  // per owner
	MaxNameLen       = 100  // bytes of a subscription's name
	MaxWebhookLen    = 2048 // bytes of a webhook URL
)

// Validate checks a subscription a user asks for and returns it with its
// filter normalised, or an errs.Invalid error. ID, Owner and Created are
// the store's to set and are not checked.
func (s Subscription) Validate() (Subscription, error) {
	s.Name = strings.TrimSpace(s.Name)
	switch {
	case s.Name == "":
		return s, errs.Errorf(errs.Invalid, "subscription name must not be empty")
	case len(s.Name) > MaxNameLen:
		return s, errs.Errorf(errs.Invalid, "subscription name longer than %d bytes", MaxNameLen)
	case strings.ContainsFunc(s.Name, unicode.IsControl):
		return s, errs.Errorf(errs.Invalid, "subscription name has a control character")
	}
	f, err := s.Filter.Normalize()
	if err != nil {
		return s, err
	}
	s.Filter = f
	if s.Webhook != "" {
		if !s.Notify {
			return s, errs.Errorf(errs.Invalid, "a webhook needs notify: true")
		}
		if err := checkWebhook(s.Webhook); err != nil {
			return s, err
		}
	}
	return s, nil
}

func checkWebhook(raw string) error {
	if len(raw) > MaxWebhookLen {
		return errs.Errorf(errs.Invalid, "webhook URL longer than %d bytes", MaxWebhookLen)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return errs.Errorf(errs.Invalid, "webhook URL: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return errs.Errorf(errs.Invalid, "webhook URL %q: want an http or https URL", raw)
	case u.Host == "" || u.User != nil:
		return errs.Errorf(errs.Invalid, "webhook URL %q: want a host and no user information", raw)
	}
	return nil
}
