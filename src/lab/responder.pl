#!/usr/bin/perl
# The lab's TCP responder in Perl (perl-base only: Socket): every connection gets one line
# "HOST PID\n" and is closed — the same protocol as responder.mjs. It is the default responder of
# the failover bench because it starts in a few milliseconds where a Node.js process takes hundreds
# on a loaded machine, so a "process killed" figure measures the cluster stack, not Node's boot.
#
#   perl responder.pl [--port 7000] [--bind 0.0.0.0] [--name HOST]
use strict;
use warnings;
use Socket qw(PF_INET SOCK_STREAM SOL_SOCKET SO_REUSEADDR IPPROTO_TCP pack_sockaddr_in inet_aton);

my %opt = (port => 7000, bind => '0.0.0.0', name => undef);
while (@ARGV) {
  my $k = shift @ARGV;
  die "responder: unknown argument $k\n" unless $k =~ /^--(port|bind|name)$/ && @ARGV;
  $opt{$1} = shift @ARGV;
}
my $name = $opt{name};
if (!defined $name) {
  # /proc/sys/kernel/hostname: the UTS namespace's name, without loading Sys::Hostname
  if (open(my $fh, '<', '/proc/sys/kernel/hostname')) { $name = <$fh>; close $fh; chomp $name; }
  $name = 'unknown' unless defined $name && length $name;
}
my $line = "$name $$\n";

socket(my $srv, PF_INET, SOCK_STREAM, IPPROTO_TCP) or die "responder: socket: $!\n";
setsockopt($srv, SOL_SOCKET, SO_REUSEADDR, 1) or die "responder: setsockopt: $!\n";
my $addr = inet_aton($opt{bind}) or die "responder: bad bind address $opt{bind}\n";
bind($srv, pack_sockaddr_in($opt{port}, $addr)) or die "responder: bind $opt{bind}:$opt{port}: $!\n";
listen($srv, 128) or die "responder: listen: $!\n";
print STDERR "responder $name pid $$ listening on $opt{bind}:$opt{port}\n";

$SIG{TERM} = $SIG{INT} = sub { close $srv; exit 0 };
$SIG{PIPE} = 'IGNORE';
while (1) {
  my $peer = accept(my $c, $srv);
  next unless $peer;
  syswrite($c, $line);
  close $c;
}
