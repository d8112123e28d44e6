package deps
import (
 _ "k8s.io/api/rbac/v1"
 _ "k8s.io/apimachinery/pkg/apis/meta/v1"
 _ "k8s.io/client-go/kubernetes"
 _ "github.com/open-policy-agent/opa/v1/rego"
 _ "github.com/owenrumney/go-sarif/v2/sarif"
 _ "github.com/spf13/pflag"
 _ "gopkg.in/yaml.v3"
 _ "github.com/google/go-cmp/cmp"
 _ "github.com/santhosh-tekuri/jsonschema/v6"
 _ "github.com/rogpeppe/go-internal/testscript"
)
