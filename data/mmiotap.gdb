# mmiotap.gdb - unlimited watchpoints in gdb (mmiotap-watch(1)).
#
# The program must have libmmiotap loaded: linked with -lmmiotap, or run
# with it preloaded, e.g. in gdb before `run`:
#   set environment LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libmmiotap.so.0
# Then:
#   source /usr/share/mmiotap/mmiotap.gdb
#   mwatch EXPR      stop after every load or store of EXPR (any thread)
#   mwatch-write EXPR / mwatch-read EXPR   stores only / loads only
#   munwatch EXPR    stop watching it
#   minfo            list what is watched
# Each access stops the thread with SIGTRAP right after the instruction, the
# value already written, as a hardware watchpoint does; `continue` goes on.
# The watched pages fault on every access and mmiotap emulates the access in
# the program's own SIGSEGV handler: gdb must pass SIGSEGV silently. While a
# page is watched every system call traps (SIGSYS) so that the kernel's own
# accesses to the watched pages work: SIGSYS too.

handle SIGSEGV nostop noprint pass
handle SIGBUS nostop noprint pass
handle SIGSYS nostop noprint pass

define mt-watch-flags
  set $mt_rc = (int)mmiotap_watch_named((void *)&($arg1), sizeof($arg1), $arg0, "$arg1")
  if $mt_rc == 0
    printf "mmiotap watchpoint on %s (%lu bytes at %p)\n", "$arg1", (unsigned long)sizeof($arg1), &($arg1)
  else
    printf "mmiotap: cannot watch %s: error %d (-1 EPERM: refused, -16 EBUSY: already watched, -22 EINVAL)\n", "$arg1", $mt_rc
  end
end
document mt-watch-flags
Internal: mt-watch-flags FLAGS EXPR (MMIOTAP_WATCH_* bits).
end

define mwatch
  if $argc != 1
    echo usage: mwatch EXPR\n
  else
    mt-watch-flags 4 $arg0
  end
end
document mwatch
mwatch EXPR: stop after every access (load or store) of EXPR by any thread.
Unlimited in number; EXPR must be an lvalue in ordinary memory (a global,
heap); a thread's stack, TLS and libc's own data are refused.
end

define mwatch-write
  mt-watch-flags 6 $arg0
end
document mwatch-write
mwatch-write EXPR: stop after every store to EXPR.
end

define mwatch-read
  mt-watch-flags 5 $arg0
end
document mwatch-read
mwatch-read EXPR: stop after every load of EXPR.
end

define munwatch
  if $argc != 1
    echo usage: munwatch EXPR\n
  else
    set $mt_rc = (int)mmiotap_unwatch((void *)&($arg0), 0)
    if $mt_rc > 0
      printf "mmiotap watchpoint on %s deleted\n", "$arg0"
    else
      printf "mmiotap: %s was not watched\n", "$arg0"
    end
  end
end
document munwatch
munwatch EXPR: delete the mmiotap watchpoint on EXPR.
end

define minfo
  set $mt_buf = (char *)malloc(65536)
  set $mt_n = (int)mmiotap_watch_list($mt_buf, 65536)
  printf "%d mmiotap watchpoint(s) (address, bytes, r/w/s(top), name):\n%s", $mt_n, $mt_buf
  call (void)free($mt_buf)
end
document minfo
minfo: list the mmiotap watchpoints.
end
