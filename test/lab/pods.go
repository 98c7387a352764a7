package main

// `lab pods`: backing pods for Services, as a scheduler and a kubelet would
// leave them. The lab runs no kubelet: the Pods are created bound to the
// cluster's first node (spec.nodeName) and their status is written through
// the status subresource (phase Running, Ready True/False, a pod IP from the
// cluster's IPPool CIDR, hostIP the node's address). kube-controller-manager's
// endpoint and endpointslice controllers then list them for selector
// Services. Nothing in the lab changes or deletes them afterwards: no
// node-lifecycle controller (no NotReady taints, no eviction) and no pod GC
// run, and the supervisor's fake kubelet touches only the stand-ins' pods.

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

type podsOptions struct {
	ns, prefix string
	labels     map[string]string
	ports      []corev1.ContainerPort
	count      int
	ready      bool
}

// parseLabels: "a=b,c=d".
func parseLabels(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("label %q: want key=value", kv)
		}
		out[k] = v
	}
	return out, nil
}

// parsePorts: "redis=6379,metrics=9121/TCP".
func parsePorts(s string) ([]corev1.ContainerPort, error) {
	var out []corev1.ContainerPort
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		name, num, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("port %q: want name=number[/PROTOCOL]", kv)
		}
		proto := corev1.ProtocolTCP
		if n, p, ok := strings.Cut(num, "/"); ok {
			num, proto = n, corev1.Protocol(strings.ToUpper(p))
		}
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("port %q: bad number", kv)
		}
		out = append(out, corev1.ContainerPort{Name: name, ContainerPort: int32(n), Protocol: proto})
	}
	return out, nil
}

func cmdPods(args []string) error {
	fs := flag.NewFlagSet("pods", flag.ContinueOnError)
	dir := fs.String("dir", defaultDir(), "lab directory")
	cluster := fs.String("cluster", "", "cluster name")
	ns := fs.String("namespace", "default", "namespace (created if missing)")
	labels := fs.String("labels", "", "pod labels: k=v,k2=v2")
	count := fs.Int("count", 1, "number of pods: <prefix>-1 .. <prefix>-N")
	prefix := fs.String("prefix", "", "pod name prefix")
	ready := fs.Bool("ready", true, "Ready condition of the pods (false flips existing pods to not ready)")
	ports := fs.String("ports", "", "container ports: name=number[/PROTOCOL],... (for Services with a named targetPort)")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if !isDNSLabelN(*prefix, 50) {
		return fmt.Errorf("--prefix %q must be a DNS-1123 label", *prefix)
	}
	if *count < 1 || *count > 250 {
		return fmt.Errorf("--count must be 1..250")
	}
	o := podsOptions{ns: *ns, prefix: *prefix, count: *count, ready: *ready}
	var err error
	if o.labels, err = parseLabels(*labels); err != nil {
		return err
	}
	if o.ports, err = parsePorts(*ports); err != nil {
		return err
	}
	st, c, err := labCluster(*dir, *cluster)
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(adminRestConfig(st, c))
	if err != nil {
		return err
	}
	return ensurePods(cs, c, o)
}

// nextFreeIP: the lowest address of cidr after the network address that is
// not in used (and not the broadcast address).
func nextFreeIP(cidr string, used map[string]bool) (string, error) {
	_, n, err := net.ParseCIDR(cidr)
	if err != nil {
		return "", err
	}
	ones, bits := n.Mask.Size()
	base := binary.BigEndian.Uint32(n.IP.To4())
	size := uint32(1) << uint(bits-ones)
	for off := uint32(1); off+1 < size; off++ {
		ip := make(net.IP, 4)
		binary.BigEndian.PutUint32(ip, base+off)
		if !used[ip.String()] {
			return ip.String(), nil
		}
	}
	return "", fmt.Errorf("IPPool CIDR %s is full", cidr)
}

func inCIDR(ip, cidr string) bool {
	_, n, err := net.ParseCIDR(cidr)
	p := net.ParseIP(ip)
	return err == nil && p != nil && n.Contains(p)
}

func ensurePods(cs kubernetes.Interface, c *Cluster, o podsOptions) error {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if _, err := cs.CoreV1().Namespaces().Get(ctx, o.ns, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: o.ns}},
			metav1.CreateOptions{}); createOrKeep(err) != nil {
			return err
		}
		progress("namespace %s created in %s", o.ns, c.Name)
	} else if err != nil {
		return err
	}
	// Pod IPs in use anywhere in the cluster (the IPAM a kubelet's CNI would ask).
	all, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	used := map[string]bool{}
	for _, p := range all.Items {
		for _, ip := range p.Status.PodIPs {
			used[ip.IP] = true
		}
		if p.Status.PodIP != "" {
			used[p.Status.PodIP] = true
		}
	}
	for i := 1; i <= o.count; i++ {
		name := fmt.Sprintf("%s-%d", o.prefix, i)
		pod, err := ensurePod(ctx, cs, c, o, name)
		if err != nil {
			return fmt.Errorf("pod %s/%s: %v", o.ns, name, err)
		}
		ip := pod.Status.PodIP
		if !inCIDR(ip, c.PodCIDR) {
			if ip, err = nextFreeIP(c.PodCIDR, used); err != nil {
				return err
			}
		}
		used[ip] = true
		setPodStatus(pod, c, ip, o.ready)
		if pod, err = cs.CoreV1().Pods(o.ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("pod %s/%s status: %v", o.ns, name, err)
		}
		fmt.Printf("%s/%s %s ready=%v node=%s\n", o.ns, name, pod.Status.PodIP, o.ready, pod.Spec.NodeName)
	}
	return nil
}

// ensurePod creates the pod (or finds it) and makes its labels include o.labels.
func ensurePod(ctx context.Context, cs kubernetes.Interface, c *Cluster, o podsOptions, name string) (*corev1.Pod, error) {
	labels := map[string]string{}
	for k, v := range o.labels {
		labels[k] = v
	}
	want := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: o.ns, Labels: labels},
		Spec: corev1.PodSpec{
			NodeName:                     c.NodeName,
			AutomountServiceAccountToken: boolPtr(false),
			Tolerations:                  []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			Containers: []corev1.Container{{
				Name:  "main",
				Image: "lab.local/meshctl-lab/pod:" + k8sVersion,
				Ports: o.ports,
			}},
		},
	}
	for {
		pod, err := cs.CoreV1().Pods(o.ns).Create(ctx, want, metav1.CreateOptions{})
		if err == nil {
			return pod, nil
		}
		if apierrors.IsAlreadyExists(err) {
			break
		}
		// A namespace made a moment ago has no "default" ServiceAccount
		// until the serviceaccount controller adds it: admission refuses.
		if strings.Contains(err.Error(), "serviceaccount") && ctx.Err() == nil {
			time.Sleep(300 * time.Millisecond)
			continue
		}
		return nil, err
	}
	pod, err := cs.CoreV1().Pods(o.ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	if pod.Spec.NodeName != c.NodeName {
		return nil, fmt.Errorf("exists, bound to node %q (not %s): delete it first", pod.Spec.NodeName, c.NodeName)
	}
	changed := false
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	for k, v := range o.labels {
		if pod.Labels[k] != v {
			pod.Labels[k] = v
			changed = true
		}
	}
	if changed {
		return cs.CoreV1().Pods(o.ns).Update(ctx, pod, metav1.UpdateOptions{})
	}
	return pod, nil
}

// setPodStatus writes what a kubelet reports for a running pod; transition
// times move only when a condition changes.
func setPodStatus(pod *corev1.Pod, c *Cluster, ip string, ready bool) {
	now := metav1.Now()
	old := map[corev1.PodConditionType]corev1.PodCondition{}
	for _, cd := range pod.Status.Conditions {
		old[cd.Type] = cd
	}
	cond := func(t corev1.PodConditionType, ok bool) corev1.PodCondition {
		s := corev1.ConditionFalse
		if ok {
			s = corev1.ConditionTrue
		}
		cd := corev1.PodCondition{Type: t, Status: s, LastTransitionTime: now}
		if !ok && (t == corev1.PodReady || t == corev1.ContainersReady) {
			cd.Reason = "ContainersNotReady"
			cd.Message = "containers with unready status: [main]"
		}
		if o, seen := old[t]; seen && o.Status == s {
			cd.LastTransitionTime = o.LastTransitionTime
		}
		return cd
	}
	start := pod.Status.StartTime
	if start == nil {
		start = &now
	}
	started := start
	if cs := pod.Status.ContainerStatuses; len(cs) == 1 && cs[0].State.Running != nil {
		started = &cs[0].State.Running.StartedAt
	}
	pod.Status = corev1.PodStatus{
		Phase: corev1.PodRunning,
		Conditions: []corev1.PodCondition{cond(corev1.PodReadyToStartContainers, true), cond(corev1.PodInitialized, true),
			cond(corev1.PodReady, ready), cond(corev1.ContainersReady, ready), cond(corev1.PodScheduled, true)},
		HostIP:    c.NodeIP,
		HostIPs:   []corev1.HostIP{{IP: c.NodeIP}},
		PodIP:     ip,
		PodIPs:    []corev1.PodIP{{IP: ip}},
		StartTime: start,
		QOSClass:  corev1.PodQOSBestEffort,
		ContainerStatuses: []corev1.ContainerStatus{{
			Name: "main", Ready: ready, Started: boolPtr(true),
			Image: pod.Spec.Containers[0].Image, ImageID: pod.Spec.Containers[0].Image,
			ContainerID: "lab://" + pod.Namespace + "/" + pod.Name + "/1",
			State:       corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: *started}},
		}},
	}
}
