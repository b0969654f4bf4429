#!/usr/bin/perl
# fake-server.pl MODE PORTFILE: a hostile ft server for the client's tests.
# Listens on 127.0.0.1 (a free port, written to PORTFILE), serves the
# connections that come for 20 s at most (a process each), then exits.
# Modes:
#   err-escape   greeting, then an ERR whose text holds terminal escapes
#                and a forged one (the text "\x1b[2J")
#   list-escape  answers LIST with file names that hold escapes
#   bye-escape   a whole 1-byte transfer, then a BYE line with escapes
#   bye-mismatch a whole, correct 1-byte transfer, then BYE mismatch
#   corrupt      offers the hash of "x", sends "y"
#   stall        offers 1 MiB, sends half of it, then waits (20 s at most)
#   good         a whole, correct 1-byte transfer of x.bin, BYE ok (it
#                offers x.bin whatever the client asked for)
#   mixed        as good, but the second connection is offered another
#                file (w.bin, 2 bytes) in the same test
#   dup-member   as good, every connection offered member 1 of group 2
#   skewed-start as good, DATA's start 30 days ahead of this clock
#   staggered   48 KiB to each of 2 members, the first connection's in 4
#               chunks, the second's in 48, 50 ms apart (ends 0.2 s and
#               2.4 s after the start), BYE ok
use strict;
use warnings;
use IO::Socket::INET;
use Digest::SHA qw(sha256_hex);

my ($mode, $portfile) = @ARGV;
my $evil = "\e]0;PWNED\a\e[2J\e[31mred\r\x7f";
my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
    Listen => 16, ReuseAddr => 1) or die "listen: $!";
open(my $pf, '>', "$portfile.tmp") or die;
print $pf $srv->sockport, "\n";
close $pf;
rename("$portfile.tmp", $portfile) or die;
$SIG{ALRM} = sub { exit 0 };
alarm 20;
$SIG{CHLD} = 'IGNORE';
my $nth = 0;		# connections accepted so far
while (my $c = $srv->accept) {
	# A process per connection, so a run's connections are served at
	# once; each ends by itself (the alarm is inherited).
	$nth++;
	my $pid = fork() // die "fork: $!";
	if ($pid) {
		close $c;
		next;
	}
	close $srv;
	$c->autoflush(1);
	print $c "FT/1 ftserver 9.9 tcp workers=25\n";
	my $line = <$c> // exit 0;
	if ($mode eq 'err-escape') {
		# and text that looks like an escape already shown as such
		print $c "ERR 400 $evil forged:\\x1b[2J\n";
	} elsif ($mode eq 'list-escape') {
		print $c "FILE a${evil}b 10\nFILE ok.bin 3\nEND 2\n";
	} elsif ($mode eq 'stall') {
		my $body = "z" x (1 << 20);
		my $sha = sha256_hex($body);
		print $c "OK member=1 group=1 file=z.bin size=", length($body),
		    " sha256=$sha\n";
		my $ready = <$c> // exit 0;
		print $c "DATA ", length($body), "\n", substr($body, 0, 1 << 19);
		sleep 20;
	} elsif ($mode eq 'staggered') {
		my $body = "s" x 49152;
		my $chunks = $nth == 1 ? 4 : 48;
		my $each = length($body) / $chunks;
		print $c "OK member=$nth group=2 file=s.bin size=", length($body),
		    " sha256=", sha256_hex($body), "\n";
		my $ready = <$c> // exit 0;
		print $c "DATA ", length($body), "\n";
		for my $i (0 .. $chunks - 1) {
			print $c substr($body, $i * $each, $each);
			select(undef, undef, undef, 0.05);
		}
		my $done = <$c> // exit 0;
		print $c "BYE ok\n";
	} elsif ($mode eq 'mixed' && $nth == 2) {
		my $sha = sha256_hex("ww");
		print $c "OK member=2 group=2 file=w.bin size=2 sha256=$sha\n";
		my $ready = <$c> // exit 0;
		print $c "DATA 2\nww";
		my $done = <$c> // exit 0;
		print $c "BYE ok\n";
	} else {
		my $sha = sha256_hex("x");
		my ($k, $n) = (1, 1);
		($k, $n) = ($nth, 2) if $mode eq 'mixed';
		($k, $n) = (1, 2) if $mode eq 'dup-member';
		print $c "OK member=$k group=$n file=x.bin size=1 sha256=$sha\n";
		my $ready = <$c> // exit 0;
		my $start = $mode eq 'skewed-start' ?
		    sprintf(" start=%d.000000000", time() + 30 * 86400) : "";
		print $c "DATA 1$start\n", $mode eq 'corrupt' ? "y" : "x";
		my $done = <$c> // exit 0;
		my $bye = $mode eq 'bye-escape' ? "BYE $evil" :
		    $mode =~ /^(good|mixed|dup-member|skewed-start)$/ ? "BYE ok" :
		    "BYE mismatch";
		print $c "$bye\n";
	}
	close $c;
	exit 0;
}
