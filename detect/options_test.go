package detect

import (
	"testing"
	"time"
)

// TestWithDefaults: nil lists and zero or negative numbers take their
// defaults; an empty list ("none") and set values are kept; options
// without a default stay unset.
func TestWithDefaults(t *testing.T) {
	o := DetectOptions{SecretNameAllow: []string{}, MaxKeys: -1, SecretBurstThreshold: 7, TokenUseWindow: time.Hour}.withDefaults()
	if o.SecretNameAllow == nil || len(o.SecretNameAllow) != 0 {
		t.Errorf("an empty list must stay empty: %v", o.SecretNameAllow)
	}
	if o.MaxKeys != 10000 || o.SecretBurstThreshold != 7 || o.TokenUseWindow != time.Hour || o.SecretBurstWindow != 6*time.Minute {
		t.Errorf("numbers: MaxKeys %d, SecretBurstThreshold %d, TokenUseWindow %v, SecretBurstWindow %v", o.MaxKeys, o.SecretBurstThreshold, o.TokenUseWindow, o.SecretBurstWindow)
	}
	if len(o.TokenRequestAllow) != len(DefaultTokenRequestAllow) || len(o.AnonymousPathAllow) == 0 {
		t.Errorf("nil lists take their defaults: %d token request callers, %d anonymous paths", len(o.TokenRequestAllow), len(o.AnonymousPathAllow))
	}
	if o.ExecAllow != nil || o.PodImageAllow != nil || o.Runtime != nil || o.Model != nil {
		t.Errorf("options without a default stay unset: %+v", o)
	}
}
