module bpfbench-peer-go

go 1.19

require (
	github.com/cilium/ebpf v0.9.1
	golang.org/x/sys v0.0.0-20210906170528-6f6e22806c34
)

replace github.com/cilium/ebpf => /usr/share/gocode/src/github.com/cilium/ebpf

replace golang.org/x/sys => /usr/share/gocode/src/golang.org/x/sys
