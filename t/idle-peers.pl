#!/usr/bin/perl
# idle-peers.pl PORT SECONDS ADDR...: one connection from each source
# address (127.0.0.0/8 ones) to 127.0.0.1:PORT that reads the greeting and
# then says nothing; prints "ADDR: <what the server said last or closed>"
# for each when it ends, SECONDS at most. With IDLE_READY=FILE in the
# environment, FILE is created once every connection has its greeting
# (a worker holds each): what a test waits for instead of a guessed sleep.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;

my ($port, $secs, @addrs) = @ARGV;
my (%sock, %said);
for my $a (@addrs) {
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
	    LocalAddr => $a, Proto => 'tcp') or do { $said{$a} = "refused"; next };
	$sock{$a} = $s;
	$said{$a} = '';
}
my $sel = IO::Select->new(values %sock);
my $end = time + $secs;
while ($sel->count && time < $end) {
	for my $s ($sel->can_read(0.2)) {
		my ($a) = grep { $sock{$_} == $s } keys %sock;
		my $buf;
		my $n = sysread($s, $buf, 4096);
		if (!$n) {
			$said{$a} .= "<closed>";
			$sel->remove($s);
			close $s;
			next;
		}
		$said{$a} .= $buf;
	}
	if ($ENV{IDLE_READY} && !-e $ENV{IDLE_READY} &&
	    !grep { $said{$_} !~ /\n/ } keys %sock) {
		open(my $f, '>', $ENV{IDLE_READY}) or die "$ENV{IDLE_READY}: $!";
		close $f;
	}
}
for my $a (@addrs) {
	my $closed = $said{$a} =~ s/<closed>$//;
	my $last = (split /\n/, $said{$a})[-1] // '';
	print "$a: $last", $closed ? " (closed)" : "", "\n";
}
