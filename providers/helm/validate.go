package helm

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/version"
	apiversion "k8s.io/apimachinery/pkg/version"

	"github.com/pitrix/pitrix/providers"
)

// ValidateCredential implements providers.Provider. The credential's Content is a kubeconfig;
// its URL, when set, names the kubeconfig context to use (the current context otherwise).
// It checks, in order, that the kubeconfig parses and is self-contained, that the API server
// answers with the credential (naming the server and whether it refused the connection, failed
// TLS, or answered 401/403), and that it runs Kubernetes 1.25 or newer. Every failure wraps
// providers.ErrInvalidCredential.
func (p *Provider) ValidateCredential(ctx context.Context, cred providers.Credential) error {
	s, err := p.open(cred, corev1.NamespaceDefault)
	if err != nil {
		return fmt.Errorf("%w: %w", providers.ErrInvalidCredential, err)
	}
	_, err = p.checkServer(ctx, s)
	return err
}

// checkServer reads the server version and the credential's user name.
func (p *Provider) checkServer(ctx context.Context, s *session) (user string, err error) {
	raw, err := s.kube.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Raw()
	if err != nil {
		return "", p.serverErr(ctx, s, "read server version", bodyless(err))
	}
	var info apiversion.Info
	if err := json.Unmarshal(raw, &info); err != nil {
		// The body is not echoed: the server may be anything the credential names.
		return "", fmt.Errorf("%w: API server %s: /version did not answer a Kubernetes version (%d bytes that are not its JSON)", providers.ErrInvalidCredential, s.kc.server, len(raw))
	}
	v, err := version.ParseGeneric(info.GitVersion)
	if err != nil {
		return "", fmt.Errorf("%w: API server %s: version %q does not parse: %w", providers.ErrInvalidCredential, s.kc.server, info.GitVersion, err)
	}
	if v.Major() < 1 || (v.Major() == 1 && v.Minor() < MinServerMinor) {
		return "", fmt.Errorf("%w: API server %s runs Kubernetes %s; 1.%d or newer is required", providers.ErrInvalidCredential, s.kc.server, info.GitVersion, MinServerMinor)
	}
	// /version answers anonymous callers too; a SelfSubjectReview proves the credential
	// authenticates (401 otherwise) and names its user for later messages.
	rev, err := s.kube.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
	switch {
	case err == nil:
		return rev.Status.UserInfo.Username, nil
	case apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err):
		return "", nil // API disabled on this server: /version has to do
	default:
		return "", p.serverErr(ctx, s, "authenticate", err)
	}
}

// bodyless keeps only the HTTP status of an API error: before /version has proved the
// server speaks Kubernetes, a status message may carry the response body of whatever
// server the credential names.
func bodyless(err error) error {
	var st apierrors.APIStatus
	if errors.As(err, &st) && st.Status().Code != 0 {
		code := int(st.Status().Code)
		return fmt.Errorf("HTTP %d %s", code, http.StatusText(code))
	}
	return err
}

// serverErr explains an error talking to the API server, wrapping ErrInvalidCredential unless
// the caller's context ended.
func (p *Provider) serverErr(ctx context.Context, s *session, doing string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("helm: API server %s: %s: %w", s.kc.server, doing, err)
	}
	return fmt.Errorf("%w: API server %s: %s: %s: %w", providers.ErrInvalidCredential, s.kc.server, doing, connCause(err), err)
}

// connCause names the class of a connection or API failure in words.
func connCause(err error) string {
	var (
		unknownCA  x509.UnknownAuthorityError
		hostErr    x509.HostnameError
		invalidErr x509.CertificateInvalidError
		verifyErr  *tls.CertificateVerificationError
		recordErr  tls.RecordHeaderError
		dnsErr     *net.DNSError
	)
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (nothing listens at that address)"
	case errors.As(err, &unknownCA), errors.As(err, &verifyErr):
		return "TLS: the server's certificate is not signed by the kubeconfig's certificate authority"
	case errors.As(err, &hostErr):
		return "TLS: the server's certificate does not match its address"
	case errors.As(err, &invalidErr):
		return "TLS: the server's certificate is invalid"
	case errors.As(err, &recordErr):
		return "TLS: the server does not speak TLS (http:// expected?)"
	case errors.As(err, &dnsErr):
		return "the server name does not resolve"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "the server is unreachable"
	case apierrors.IsUnauthorized(err):
		return "401 unauthorized (the credential's token or certificate is not accepted)"
	case apierrors.IsForbidden(err):
		return "403 forbidden (the credential's user lacks the permission)"
	case isTimeout(err):
		return "timed out"
	}
	return "request failed"
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) || apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err)
}

// access is one permission a runtime's credential needs in its namespace.
type access struct{ verb, group, resource string }

func (a access) String() string {
	if a.group == "" {
		return a.verb + " " + a.resource
	}
	return a.verb + " " + a.resource + "." + a.group
}

// runtimeAccess is what Helm needs in a release namespace: its release storage (Secrets) and
// the common workload kinds of charts.
var runtimeAccess = []access{
	{"create", "apps", "deployments"},
	{"list", "apps", "deployments"},
	{"create", "", "secrets"},
	{"list", "", "secrets"},
	{"create", "", "services"},
}

// ValidateRuntime implements providers.Provider: zone is the namespace releases go to. It
// checks that the name is a valid namespace name, that the credential works (as
// ValidateCredential), that the namespace exists or can be created (and creates it), and that
// the credential may create and list Deployments, Secrets and Services there (by
// SelfSubjectAccessReview). Errors name the check that failed; refusals wrap
// providers.ErrInvalidCredential.
func (p *Provider) ValidateRuntime(ctx context.Context, zone string, cred providers.Credential) error {
	if msgs := validation.IsDNS1123Label(zone); len(msgs) > 0 {
		return fmt.Errorf("helm: namespace %q is not a valid namespace name: %s", zone, strings.Join(msgs, "; "))
	}
	s, err := p.open(cred, zone)
	if err != nil {
		return fmt.Errorf("%w: %w", providers.ErrInvalidCredential, err)
	}
	user, err := p.checkServer(ctx, s)
	if err != nil {
		return err
	}
	who := "the credential"
	if user != "" {
		who = fmt.Sprintf("the credential (user %q)", user)
	}
	note, err := p.ensureNamespace(ctx, s, who)
	if err != nil {
		return err
	}
	var denied []string
	for _, a := range runtimeAccess {
		ok, reason, err := p.can(ctx, s, a, zone)
		if err != nil {
			return p.serverErr(ctx, s, fmt.Sprintf("check %s in namespace %q", a, zone), err)
		}
		if !ok {
			d := a.String()
			if reason != "" {
				d += " (" + reason + ")"
			}
			denied = append(denied, d)
		}
	}
	if len(denied) > 0 {
		return fmt.Errorf("%w: namespace %q: %s may not %s%s", providers.ErrInvalidCredential, zone, who, strings.Join(denied, ", "), note)
	}
	return nil
}

// ensureNamespace creates the session's namespace when it is absent and the credential may.
// A credential that may not read namespaces cannot tell whether it exists; the note it then
// returns is added to a later access error.
func (p *Provider) ensureNamespace(ctx context.Context, s *session, who string) (note string, err error) {
	ns := s.namespace
	_, err = s.kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	switch {
	case err == nil:
		return "", nil
	case apierrors.IsForbidden(err):
		// The access checks tell whether the namespace can be used.
		note = "; it may not read namespaces either, so whether the namespace exists is unknown"
		if ok, _, err := p.can(ctx, s, access{"create", "", "namespaces"}, ""); err == nil && !ok {
			note += ", and it may not create namespaces"
		}
		return note, nil
	case !apierrors.IsNotFound(err):
		return "", p.serverErr(ctx, s, fmt.Sprintf("read namespace %q", ns), err)
	}
	ok, _, err := p.can(ctx, s, access{"create", "", "namespaces"}, "")
	if err != nil {
		return "", p.serverErr(ctx, s, "check create namespaces", err)
	}
	if !ok {
		return "", fmt.Errorf("%w: namespace %q does not exist and %s may not create namespaces", providers.ErrInvalidCredential, ns, who)
	}
	_, err = s.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return "", p.serverErr(ctx, s, fmt.Sprintf("create namespace %q", ns), err)
	}
	p.log.Info("created namespace", "namespace", ns, "server", s.kc.server)
	return "", nil
}

// can asks the API server whether the session's credential may do a in namespace.
func (p *Provider) can(ctx context.Context, s *session, a access, namespace string) (bool, string, error) {
	r, err := s.kube.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authzv1.SelfSubjectAccessReview{
		Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authzv1.ResourceAttributes{
			Namespace: namespace, Verb: a.verb, Group: a.group, Resource: a.resource,
		}},
	}, metav1.CreateOptions{})
	if err != nil {
		return false, "", err
	}
	return r.Status.Allowed, r.Status.Reason, nil
}
