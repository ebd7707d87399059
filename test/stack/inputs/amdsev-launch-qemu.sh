#!/bin/sh
# The QEMU command line AMDESE/AMDSEV launch-qemu.sh -sev-snp builds (written out by hand for
# prelaunch's tests; the firmware is the Debian OVMF.fd bundled in firmware-samples/).
# Note: no kernel-hashes=on, so the kernel, initrd and cmdline are not measured (rule H6).
qemu-system-x86_64 -enable-kvm -cpu EPYC-v4 -machine q35 -smp 4,maxcpus=255 -m 2048M,slots=5,maxmem=10240M \
  -no-reboot \
  -machine memory-encryption=sev0,vmport=off \
  -object memory-backend-memfd,id=ram1,size=2048M,share=true,prealloc=false \
  -machine memory-backend=ram1 \
  -object sev-snp-guest,id=sev0,policy=0x30000,cbitpos=51,reduced-phys-bits=1 \
  -bios ../../../firmware-samples/debian/OVMF.fd \
  -kernel vmlinuz-test -initrd initrd-test -append "console=ttyS0 earlyprintk=serial root=/dev/sda2" \
  -drive file=guest.qcow2,if=none,id=disk0,format=qcow2 \
  -device virtio-scsi-pci,id=scsi0,disable-legacy=on,iommu_platform=true \
  -device scsi-hd,drive=disk0 \
  -netdev user,id=vmnic -device virtio-net-pci,disable-legacy=on,iommu_platform=true,netdev=vmnic,romfile= \
  -nographic -monitor pty -monitor unix:monitor,server,nowait
