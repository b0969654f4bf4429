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
while (my $c = $srv->accept) {
	# A process per connection, so a run's connections are served at
	# once; each ends by itself (the alarm is inherited).
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
	} else {
		my $sha = sha256_hex("x");
		print $c "OK member=1 group=1 file=x.bin size=1 sha256=$sha\n";
		my $ready = <$c> // exit 0;
		print $c "DATA 1\n", $mode eq 'corrupt' ? "y" : "x";
		my $done = <$c> // exit 0;
		print $c $mode eq 'bye-escape' ? "BYE $evil\n" : "BYE mismatch\n";
	}
	close $c;
	exit 0;
}
