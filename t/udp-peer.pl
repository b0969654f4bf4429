#!/usr/bin/perl
# udp-peer.pl: a hand-driven peer that speaks ft's UDP protocol (see
# common/ft_dgram.h), for the t/4x-udp tests: it does what the real
# programs never do on their own. Core perl only. Every wait is bounded.
#
#   forge HOST PORT...
#       Sends the set of bad datagrams below to each port once; prints
#       "forged N" (N datagrams per port).
#   blast HOST SECONDS STOPFILE PORT...
#       The same set to every port, round after round (a short pause
#       between rounds), until STOPFILE exists or SECONDS have passed;
#       prints "round 1 sent" once the first round is out, then "rounds R".
#   client HOST PORT NAME OUT [garbage] [lie] [skip=A,B...] [vanish=K]
#          [exit] [hold=S] [deadline=S] [rcvbuf=N] [greedy=N]
#          [forge_report] [early_done] [port=P] [nohello]
#       One UDP transfer of catalogue file NAME as a minimal receiver:
#       GET, READY udp_port=... rcvbuf=65536, a HELLO with OK's secret
#       every 0.1 s until the first datagram, DATA datagrams (a STATUS
#       after each, with the missing ranges in reliable mode), then DONE
#       with the SHA-256 of what arrived, written to OUT, answering FIN
#       probes until the verdict. Prints "offer ...", "bye ...". A line
#       from the server during the transfer (an ERR) ends it: prints
#       "control LINE" and "reports N" (STATUS sent). Options:
#         garbage   after the first datagram, sends the worker forged
#                   datagrams (a stranger's STATUS, bad ones of its own);
#                   prints "garbage N": how many the server must count
#         lie       after the first datagram, sends one report of its own
#                   (right id) whose max tx is 1000000 past anything sent
#         skip=A,B  ignores the first copy of these datagrams (as if lost)
#         deadline=S  gives up (exit 1) when not done after S s (60)
#         rcvbuf=N  READY announces this receive buffer
#         greedy=N  every report (one per datagram, and every 1 ms of
#                   silence) claims nothing arrived and asks for all
#                   that was sent, in N ranges (at most 144)
#         forge_report  after the first datagram, reports that nothing
#                   arrived (rx 0) from a stranger's port without the
#                   secret and from ours with a wrong one
#         early_done  sends READY and DONE (size, offered SHA-256) in
#                   one write, no hello; prints each line until BYE/ERR
#         port=P    READY names port P (someone else's) instead of ours
#         nohello   never sends the hello
#         slow=MS   takes MS ms over each datagram (a slow receiver)
#   sink SECONDS
#       A UDP socket on 127.0.0.1 that only counts: prints "port P", then
#       after SECONDS "received N" (datagrams that reached it).
#         vanish=K  after K datagrams stops reading and answering UDP;
#                   with "exit", exits at once (the TCP connection
#                   closes too), else keeps TCP open until the server
#                   closes it or S seconds (hold=S, default 10) pass;
#                   prints "said ERR ..." (the server's last words, if
#                   any), "closed after T s" or "still open after S s"
#   server CATFILE MODE DSIZE [forge] [drop=A,B...] [dup=A,B...] [nofin]
#       A fake ftserver for one ftclient connection: prints "port P",
#       offers CATFILE (mode raw|reliable, DSIZE bytes per datagram, a
#       secret), waits for the client's HELLO (prints "hello from port
#       P", "(READY's)" when it is READY's port), sends its datagrams
#       there, and reads DONE.
#         claim_size=N  the OK line says N bytes (the rest is the file's)
#         silent    sends nothing, counts the client's hellos with the
#                   secret until it gives up; prints "hellos N"
#         forge     first sends the client forged datagrams (strangers'
#                   DATA and FIN, wrong id, truncated, oversized, offset
#                   past the end...); prints "forged N"
#         drop=...  "loses" these datagrams (drop=all: every one): each
#                   uses its transmission number but is not sent; in
#                   reliable mode they are repaired when the client's
#                   STATUS lists them (prints "ranges FIRST+COUNT ..."
#                   from the first such STATUS)
#         dup=...   sends these datagrams twice; prints "dups N"
#         nofin     sends no end-of-pass FIN after the data (as if lost)
#       Prints "done BYTES SHA256" (the client's DONE) and "bye ok|mismatch".
use strict;
use warnings;
use IO::Select;
use IO::Socket::INET;
use Socket qw(SOL_SOCKET SO_RCVBUF inet_aton sockaddr_in);
use Digest::SHA qw(sha256_hex);
use File::Basename qw(basename);
use Time::HiRes qw(time sleep);

$| = 1;
$SIG{PIPE} = 'IGNORE';

use constant {
	MAGIC => 0x46544432, HDR => 20, DATA => 1, FIN => 2, STATUS => 3,
	HELLO => 4, RESENT => 1, FIN_END => 2, MAX_RANGES => 144,
	UDP_MAX => 65507,
};

sub say { print @_, "\n" }
sub fail { print STDERR "udp-peer: @_\n"; exit 1 }

# ---------------------------------------------------------------- datagrams

sub header {
	my ($type, $flags, $len, $xfer, $seq, $tx) = @_;
	return pack('NCCnNNN', MAGIC, $type, $flags, $len, $xfer, $seq, $tx);
}

# undef unless a well-formed header whose len matches the datagram.
sub parse {
	my ($buf) = @_;
	return undef if length($buf) < HDR;
	my %h;
	my $magic;
	($magic, @h{qw(type flags len xfer seq tx)}) = unpack('NCCnNNN', $buf);
	return undef if $magic != MAGIC || $h{len} + HDR != length($buf);
	$h{body} = substr($buf, HDR);
	return \%h;
}

sub status_dg {
	my ($secret, $xfer, $max_tx, $rx, $unique, @ranges) = @_;
	my $n = @ranges / 2;
	return header(STATUS, 0, 24 + 8 * $n, $xfer, 0, 0) .
	    pack('Q>NNNN', $secret, $max_tx, $rx, $unique, $n) .
	    pack('N*', @ranges);
}

sub hello_dg {
	my ($xfer, $secret) = @_;
	return header(HELLO, 0, 8, $xfer, 0, 0) . pack('Q>', $secret);
}

sub fin_dg {
	my ($xfer, $total, $tx, $end) = @_;
	return header(FIN, $end ? FIN_END : 0, 8, $xfer, 0, $tx) .
	    pack('NN', $total, $tx);
}

sub data_dg {
	my ($xfer, $seq, $tx, $payload, $flags) = @_;
	return header(DATA, $flags // 0, length($payload), $xfer, $seq, $tx) .
	    $payload;
}

# What a worker's port must count as bad and drop, whoever sends it: the
# transfer id is unknown to a stranger, so every well-formed one carries
# a made-up id. The largest go last (socket buffers take them all).
sub garbage_for_server {
	my ($xfer) = @_;
	my $st = status_dg(0, $xfer, 5, 6, 6);
	return (
	    [ 'empty datagram', '' ],
	    [ 'one byte', 'x' ],
	    [ 'text', "GET / HTTP/1.0\r\n\r\n" ],
	    [ '19 bytes: a header cut short', substr($st, 0, 19) ],
	    [ 'bad magic', 'FTD0' . substr($st, 4) ],
	    [ 'type 0', header(0, 0, 0, $xfer, 0, 0) ],
	    [ 'HELLO without a secret', header(HELLO, 0, 0, $xfer, 0, 0) ],
	    [ 'HELLO with a wrong transfer id', hello_dg($xfer, 42) ],
	    [ 'type 255', header(255, 0, 0, $xfer, 0, 0) ],
	    [ 'STATUS len longer than the datagram', substr($st, 0, HDR + 10) ],
	    [ 'STATUS len shorter than the datagram',
	      header(STATUS, 0, 0, $xfer, 0, 0) . pack('Q>NNNN', 0, 1, 1, 1, 0) ],
	    [ 'STATUS claiming 2 ranges, holding 1',
	      header(STATUS, 0, 32, $xfer, 0, 0) .
	      pack('Q>NNNN NN', 0, 1, 1, 1, 2, 0, 1) ],
	    [ 'STATUS with one range too many',
	      status_dg(0, $xfer, 1, 1, 1, (0, 1) x (MAX_RANGES + 1)) ],
	    [ 'DATA sent to the sender', data_dg($xfer, 0, 0, 'z' x 100) ],
	    [ 'FIN sent to the sender', fin_dg($xfer, 1, 1, 1) ],
	    [ 'STATUS with a wrong transfer id', $st ],
	    [ 'oversized: 9000 bytes', header(STATUS, 0, 8980, $xfer, 0, 0) .
	      "\0" x 8980 ],
	    [ 'oversized: the largest UDP datagram',
	      header(STATUS, 0, UDP_MAX - HDR, $xfer, 0, 0) . "\0" x (UDP_MAX - HDR) ],
	);
}

sub udp_socket {
	my ($addr, $port) = @_;
	my $s = IO::Socket::INET->new(Proto => 'udp', LocalAddr => $addr,
	    LocalPort => $port // 0) or return undef;
	setsockopt($s, SOL_SOCKET, SO_RCVBUF, 4 << 20);
	return $s;
}

sub send_to {
	my ($sock, $bytes, $host, $port) = @_;
	defined send($sock, $bytes, 0, sockaddr_in($port, inet_aton($host)))
	    or fail("send to $host:$port: $!");
}

# ---------------------------------------------------------------- lines

my %pending;	# per socket: bytes read past the last line

# A line without CR LF, or undef at EOF or after SECONDS.
sub read_line {
	my ($sock, $seconds) = @_;
	my $deadline = time + $seconds;
	my $sel = IO::Select->new($sock);
	$pending{$sock} //= '';
	for (;;) {
		if ($pending{$sock} =~ s/^([^\n]*)\n//) {
			(my $line = $1) =~ s/\r$//;
			return $line;
		}
		my $left = $deadline - time;
		return undef if $left <= 0 || !$sel->can_read($left);
		my $n = sysread($sock, my $chunk, 4096);
		return undef if !$n;
		$pending{$sock} .= $chunk;
	}
}

sub write_line { my ($sock, $line) = @_; syswrite($sock, "$line\n") }

# ---------------------------------------------------------------- forge, blast

sub forge {
	my ($host, @ports) = @_;
	my $s = udp_socket('0.0.0.0') or fail("udp socket: $!");
	my @set = garbage_for_server(0x5eed0bad);
	for my $port (@ports) {
		send_to($s, $_->[1], $host, $port) for @set;
	}
	say 'forged ' . scalar(@set);
}

sub blast {
	my ($host, $seconds, $stop, @ports) = @_;
	my $s = udp_socket('0.0.0.0') or fail("udp socket: $!");
	# The small ones only, so the sockets never fill up for long.
	my @set = grep { length($_->[1]) < 2000 } garbage_for_server(0x0badf00d);
	my ($rounds, $end) = (0, time + $seconds);
	while (time < $end && !-e $stop && $rounds < 100000) {
		for my $port (@ports) {
			send($s, $_->[1], 0, sockaddr_in($port, inet_aton($host)))
			    for @set;
		}
		say 'round 1 sent' if ++$rounds == 1;
		sleep 0.02;
	}
	say 'forged ' . scalar(@set);
	say "rounds $rounds";
}

# ---------------------------------------------------------------- client

sub client {
	my ($host, $port, $name, $out, @opts) = @_;
	my %opt = map { /^(\w+)=(.*)$/ ? ($1 => $2) : ($_ => 1) } @opts;
	my ($tcp, $offer);
	# Busy (a worker still ending the previous transfer): again, a few
	# times, as a user would.
	for my $try (1 .. 25) {
		$tcp = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port,
		    Proto => 'tcp', Timeout => 10) or fail("connect $host:$port: $!");
		read_line($tcp, 10) // fail('no greeting');
		write_line($tcp, "GET $name group=1 proto=udp");
		$offer = read_line($tcp, 20) // fail('no offer');
		last unless $offer =~ /^ERR 503 /;
		close $tcp;
		sleep 0.2;
	}
	say "offer $offer";
	fail("refused: $offer") unless $offer =~ /^OK /;
	my %o = $offer =~ /(\w+)=(\S+)/g;
	my ($size, $d, $xfer) = ($o{size}, $o{datagram}, hex $o{xfer});
	my $secret = do { no warnings 'portable'; hex($o{secret} // '0') };
	my $reliable = $o{mode} eq 'reliable';
	my $total = int(($size + $d - 1) / $d);
	my $udp = udp_socket($tcp->sockhost) or fail("udp socket: $!");
	my $server = sockaddr_in($o{udp_port}, inet_aton($tcp->peerhost));
	# A small buffer announced by default: the sender's window is its
	# smallest (8), so the transfer waits on our reports and lasts as
	# long as we like.
	my $ready = 'READY udp_port=' . ($opt{port} // $udp->sockport) .
	    ' rcvbuf=' . ($opt{rcvbuf} // 65536);
	if ($opt{early_done}) {
		# READY and a DONE for the offered file in one write: the claim
		# of a transfer that never happened.
		syswrite($tcp, "$ready\nDONE $size $o{sha256}\n");
		while (defined(my $line = read_line($tcp, 20))) {
			say "line $line";
			last if $line =~ /^(BYE|ERR)/;
		}
		return;
	}
	write_line($tcp, $ready);
	my $data = read_line($tcp, 30) // fail('no DATA line');
	fail("expected DATA $size, got $data") unless $data =~ /^DATA $size( start=\d+\.\d{9})?$/;

	my (@chunk, %have, %skipped);
	my %skip = map { $_ => 1 } split /,/, $opt{skip} // '';
	my ($unique, $rx, $max_tx, $max_seq, $low, $fin_end) = (0, 0, -1, 0, 0, 0);
	my ($heard, $last_hello, $reports) = (0, 0, 0);
	my $status = sub {
		my @ranges;
		if ($opt{greedy}) {
			# Everything sent, every time, in as many ranges as asked
			# (greedy=N), claiming nothing has arrived.
			my $n = $opt{greedy} < $max_seq ? $opt{greedy} : $max_seq;
			for my $i (0 .. $n - 1) {
				my ($a, $b) = (int($max_seq * $i / $n),
				    int($max_seq * ($i + 1) / $n));
				push @ranges, $a, $b - $a if $b > $a;
			}
			send($udp, status_dg($secret, $xfer, $max_tx < 0 ? 0 : $max_tx,
			    $rx, 0, @ranges), 0, $server);
			$reports++;
			return;
		}
		if ($reliable) {
			my $limit = $fin_end ? $total : $max_seq;
			my $q = $low;
			while ($q < $limit && @ranges < 2 * MAX_RANGES) {
				$q++, next if $have{$q};
				my $first = $q;
				$q++ while $q < $limit && !$have{$q};
				push @ranges, $first, $q - $first;
			}
		}
		send($udp, status_dg($secret, $xfer, $max_tx < 0 ? 0 : $max_tx, $rx,
		    $unique, @ranges), 0, $server);
		$reports++;
	};
	my $sel = IO::Select->new($udp, $tcp);
	my $seconds = $opt{deadline} // 60;
	my $deadline = time + $seconds;
	while ($unique < $total && !(!$reliable && $fin_end)) {
		if (time > $deadline) {
			say "reports $reports";
			fail("no end after $seconds s ($unique of $total)");
		}
		# We speak first: the hello, until the server's first datagram.
		if (!$heard && !$opt{nohello} && time - $last_hello >= 0.1) {
			send($udp, hello_dg($xfer, $secret), 0, $server);
			$last_hello = time;
		}
		my @ready = $sel->can_read($opt{greedy} ? 0.001 : 0.05);
		if (grep { $_ == $tcp } @ready) {
			# The server ends it early (ERR) or closes.
			say 'control ' . (read_line($tcp, 1) // 'EOF');
			say "reports $reports";
			return;
		}
		if (!@ready) {
			$status->() if ($reliable && $heard) || ($opt{greedy} && $heard);
			next;
		}
		my $from = recv($udp, my $buf, UDP_MAX + 1, 0);
		my $h = parse($buf);
		next unless $h && $from eq $server && $h->{xfer} == $xfer;
		$heard = 1;
		if ($h->{type} == FIN) {
			$fin_end = 1 if $h->{flags} & FIN_END;
			$status->();
			next;
		}
		next unless $h->{type} == DATA && $h->{seq} < $total;
		next if $skip{$h->{seq}} && !$skipped{$h->{seq}}++;	# "lost"
		sleep $opt{slow} / 1000 if $opt{slow};
		$rx++;
		$max_tx = $h->{tx} if $h->{tx} > $max_tx;
		unless ($have{$h->{seq}}) {
			$have{$h->{seq}} = 1;
			$chunk[$h->{seq}] = $h->{body};
			$unique++;
			$max_seq = $h->{seq} + 1 if $h->{seq} + 1 > $max_seq;
			$low++ while $have{$low};
		}
		if ($opt{garbage} && $unique == 1 && !$opt{garbage_sent}) {
			$opt{garbage_sent} = 1;
			say 'garbage ' . send_garbage($udp, $tcp, $server, $xfer,
			    $total, $max_tx, $rx, $unique);
		}
		if ($opt{lie} && $unique == 1 && !$opt{lie_sent}) {
			# A report from us, with the right id and secret, that
			# acknowledges transmissions the sender never made.
			$opt{lie_sent} = 1;
			send($udp, status_dg($secret, $xfer, $max_tx + 1000000, $rx,
			    $unique), 0, $server);
			say 'lied max_tx ' . ($max_tx + 1000000);
		}
		if ($opt{forge_report} && $unique == 1 && !$opt{forged_sent}) {
			# Reports that say nothing arrived (rx 0): from another
			# port without the secret, and from ours with a wrong one.
			# Believed, they would unpace the sender.
			$opt{forged_sent} = 1;
			my $stranger = udp_socket($tcp->sockhost) or fail("udp: $!");
			send($stranger, status_dg(0, $xfer, $max_tx, 0, 0), 0, $server);
			send($udp, status_dg($secret ^ 1, $xfer, $max_tx, 0, 0), 0,
			    $server);
			say 'forged_reports 2';
		}
		if ($opt{vanish} && $unique >= $opt{vanish}) {
			say "vanished after $unique of $total datagrams";
			exit 0 if $opt{exit};
			my $t0 = time;
			my $line = read_line($tcp, $opt{hold} // 10);
			my $t = time - $t0;
			# The server's last words (ERR and why), then it closes.
			if (defined $line && $line =~ /^ERR /) {
				say "said $line";
				$line = read_line($tcp, 2);
			}
			printf "%s after %.1f s\n", defined $line ? 'still open' :
			    'closed', $t;
			exit 0;
		}
		$status->();
	}
	$status->();
	my $file = join '', map { $_ // '' } @chunk[0 .. $total - 1];
	open(my $fh, '>:raw', $out) or fail("$out: $!");
	print $fh $file;
	close $fh;
	say "received $unique of $total datagrams";
	write_line($tcp, 'DONE ' . length($file) . ' ' . sha256_hex($file));
	# Until the verdict, the server's FIN probes get our last report.
	my $until = time + 10;
	while (time < $until) {
		my @r = $sel->can_read($until - time);
		last if !@r || grep { $_ == $tcp } @r;
		recv($udp, my $buf, UDP_MAX + 1, 0);
		my $h = parse($buf);
		$status->() if $h && $h->{type} == FIN && $h->{xfer} == $xfer;
	}
	say 'bye ' . (read_line($tcp, 10) // '(none)');
}

# Sent to the worker in the middle of our transfer: returns how many it
# must count as bad. A stranger (another socket of ours, so another port)
# sends reports with the right transfer id but not the secret: one that
# says all is received (would stop the sender), one that asks for
# everything again (would make it resend). Our own socket sends the bad
# set and a report with a wrong id.
sub send_garbage {
	my ($udp, $tcp, $server, $xfer, $total, $max_tx, $rx, $unique) = @_;
	my $stranger = udp_socket($tcp->sockhost) or fail("udp socket: $!");
	my $n = 0;
	for my $dg (status_dg(0, $xfer, $max_tx + 1000, $total, $total),
	    status_dg(0, $xfer, $max_tx, $rx, $unique, 0, $total)) {
		send($stranger, $dg, 0, $server);
		$n++;
	}
	for my $g (garbage_for_server($xfer ^ 0x80000000)) {
		send($udp, $g->[1], 0, $server);
		$n++;
	}
	return $n;
}

# ---------------------------------------------------------------- server

sub server {
	my ($catfile, $mode, $d, @opts) = @_;
	my %opt = map { /^(\w+)=(.*)$/ ? ($1 => $2) : ($_ => 1) } @opts;
	my %drop = map { $_ => 1 } split /,/, $opt{drop} // '';
	my $drop_all = ($opt{drop} // '') eq 'all';
	my %dup = map { $_ => 1 } split /,/, $opt{dup} // '';
	open(my $fh, '<:raw', $catfile) or fail("$catfile: $!");
	local $/;
	my $file = <$fh> // '';
	close $fh;
	my ($size, $sha, $name) = (length $file, sha256_hex($file), basename $catfile);
	my $total = int(($size + $d - 1) / $d);
	my $len = sub { my $q = shift; $q * $d >= $size ? 0 :
	    $size - $q * $d < $d ? $size - $q * $d : $d };

	my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
	    LocalPort => 0, Proto => 'tcp', Listen => 1, ReuseAddr => 1)
	    or fail("listen: $!");
	say 'port ' . $listen->sockport;
	IO::Select->new($listen)->can_read(30) or fail('nobody came');
	my $tcp = $listen->accept or fail("accept: $!");
	write_line($tcp, 'FT/1 ftserver fake udp workers=1');
	my $get = read_line($tcp, 10) // fail('no GET');
	say "get $get";
	my $udp = udp_socket('127.0.0.1') or fail("udp socket: $!");
	my $uport = $udp->sockport;
	my $xfer = int(rand(0xffffffff));
	my $secret = int(rand(0xffffffff)) * 4294967296 + int(rand(0xffffffff));
	write_line($tcp, "OK member=1 group=1 file=$name size=" .
	    ($opt{claim_size} // $size) . " sha256=$sha " .
	    sprintf('udp_port=%u xfer=%08x secret=%016x datagram=%u mode=%s',
	    $uport, $xfer, $secret, $d, $mode));
	my $ready = read_line($tcp, 30) // fail('no READY');
	say "ready $ready";
	my ($cport) = $ready =~ /udp_port=(\d+)/ or fail("READY without a port");
	write_line($tcp, "DATA $size");
	if ($opt{silent}) {
		# Nothing ever sent: counts the client's hellos until it gives up.
		my ($hellos, $sel) = (0, IO::Select->new($udp, $tcp));
		my $until = time + 30;
		while (time < $until) {
			my @r = $sel->can_read($until - time) or last;
			last if grep { $_ == $tcp } @r;
			recv($udp, my $buf, UDP_MAX + 1, 0);
			my $h = parse($buf);
			$hellos++ if $h && $h->{type} == HELLO &&
			    $h->{body} eq pack('Q>', $secret);
		}
		say "hellos $hellos";
		return;
	}
	# The client speaks first: its hello, with the secret, says where.
	my $client;
	my $hsel = IO::Select->new($udp);
	while (!$client && $hsel->can_read(10)) {
		my $from = recv($udp, my $buf, UDP_MAX + 1, 0);
		my $h = parse($buf);
		$client = $from if $h && $h->{type} == HELLO &&
		    $h->{xfer} == $xfer && $h->{body} eq pack('Q>', $secret);
	}
	fail('no hello from the client') unless $client;
	my ($hport) = sockaddr_in($client);
	say "hello from port $hport" . ($hport == $cport ? ' (READY\'s)' : '');
	if ($opt{forge}) {
		my $n = 0;
		for my $g (garbage_for_client($xfer, $total, $d, $size, $uport)) {
			send($g->[0] // $udp, $g->[1], 0, $client) // fail("send: $!");
			$n++;
		}
		say "forged $n";
	}

	my ($tx, $dups, $sent) = (0, 0, 0);
	my $send = sub {
		my ($q, $flags) = @_;
		send($udp, data_dg($xfer, $q, $tx++, substr($file, $q * $d,
		    $len->($q)), $flags), 0, $client);
		sleep 0.001 if ++$sent % 16 == 0;	# never outrun the client
	};
	for my $q (0 .. $total - 1) {
		if ($drop{$q} || $drop_all) {
			$tx++;
			next;
		}
		$send->($q);
		$send->($q), $dups++ if $dup{$q};
	}
	say "dups $dups";
	send($udp, fin_dg($xfer, $total, $tx, 1), 0, $client) unless $opt{nofin};

	# Reports until DONE. Only a report that has seen everything sent so
	# far (its max tx reaches the last FIN's) is acted on: its ranges are
	# exactly what is missing; they are repaired, then a new FIN.
	my $need = $tx - 1;
	my ($sel, $deadline, $done, $listed) = (IO::Select->new($udp, $tcp),
	    time + 20, undef, 0);
	while (!defined $done && time < $deadline) {
		for my $s ($sel->can_read(0.1)) {
			if ($s == $tcp) {
				$done = read_line($tcp, 5) // 'EOF';
				last;
			}
			recv($udp, my $buf, UDP_MAX + 1, 0);
			my $h = parse($buf);
			next unless $h && $h->{type} == STATUS && $h->{xfer} == $xfer;
			my ($sec, $max_tx, $rx, $unique, $n, @r) =
			    unpack('Q>N*', $h->{body});
			next unless $sec == $secret;
			next unless $mode eq 'reliable' && $n > 0 && $max_tx >= $need;
			my @pairs;
			push @pairs, "$r[2 * $_]+$r[2 * $_ + 1]" for 0 .. $n - 1;
			say "ranges @pairs" if !$listed++;
			for my $i (0 .. $n - 1) {
				$send->($_, RESENT) for $r[2 * $i] .. $r[2 * $i] + $r[2 * $i + 1] - 1;
			}
			send($udp, fin_dg($xfer, $total, $tx, 1), 0, $client);
			$need = $tx - 1;
		}
	}
	$done //= '(none)';
	say "done $1 $2" if $done =~ /^DONE (\d+) (\S+)$/;
	say "done line $done" unless $done =~ /^DONE /;
	my $verdict = $done eq "DONE $size $sha" ? 'ok' : 'mismatch';
	write_line($tcp, "BYE $verdict");
	say "bye $verdict";
	read_line($tcp, 5);	# until the client closes
}

# What a client's port must count as bad and never write: strangers with
# the right transfer id (another port of ours; our port on another
# address), and from the right sender: a wrong id, bad magic, truncated,
# lengths that do not match, offsets past the end, a type the receiver
# never gets, datagrams larger than the client's buffer. Data ones carry
# bytes that would corrupt the file if written. Returns [socket, bytes].
sub garbage_for_client {
	my ($xfer, $total, $d, $size, $uport) = @_;
	my $stranger = udp_socket('127.0.0.1') or fail("udp socket: $!");
	my $other_ip = udp_socket('127.0.0.2', $uport);	# loopback is 127/8
	my $junk = "\xee" x $d;
	my $last = $size - ($total - 1) * $d;
	my @g = (
	    [ $stranger, data_dg($xfer, 0, 0x7fffffff, substr($junk, 0, $d < $size ? $d : $size)) ],
	    [ $stranger, fin_dg($xfer, $total, 0x7fffffff, 1) ],
	    [ undef, data_dg($xfer ^ 1, 1, 1, substr($junk, 0, $d)) ],
	    [ undef, 'FTD1' . substr(data_dg($xfer, 1, 1, substr($junk, 0, $d)), 4) ],
	    [ undef, substr(data_dg($xfer, 1, 1, substr($junk, 0, $d)), 0, 12) ],
	    [ undef, '' ],
	    [ undef, header(DATA, 0, $d, $xfer, 1, 1) . substr($junk, 0, $d - 1) ],
	    [ undef, data_dg($xfer, $total - 1, 1, substr($junk, 0, $d)) ],  # last is $last long
	    [ undef, data_dg($xfer, $total, 1, substr($junk, 0, $last)) ],
	    [ undef, data_dg($xfer, 0xffffffff, 1, substr($junk, 0, $last)) ],
	    [ undef, header(7, 0, 0, $xfer, 1, 1) ],
	    [ undef, status_dg(0, $xfer, 1, 1, 1) ],
	    [ undef, hello_dg($xfer, 0) ],
	    [ undef, data_dg($xfer, 1, 1, $junk . "\xee" x 100) ],
	    [ undef, data_dg($xfer, 1, 1, "\xee" x (UDP_MAX - HDR)) ],
	);
	unshift @g, [ $other_ip, data_dg($xfer, 1, 0x7fffffff, substr($junk, 0, $d)) ]
	    if $other_ip;
	return @g;
}

sub sink {
	my ($seconds) = @_;
	my $s = udp_socket('127.0.0.1') or fail("udp socket: $!");
	say 'port ' . $s->sockport;
	my ($n, $until, $sel) = (0, time + $seconds, IO::Select->new($s));
	while ((my $left = $until - time) > 0) {
		next unless $sel->can_read($left);
		recv($s, my $buf, UDP_MAX + 1, 0);
		$n++;
	}
	say "received $n";
}

# ---------------------------------------------------------------- main

my $cmd = shift // '';
if ($cmd eq 'forge') { forge(@ARGV) }
elsif ($cmd eq 'blast') { blast(@ARGV) }
elsif ($cmd eq 'client') { client(@ARGV) }
elsif ($cmd eq 'server') { server(@ARGV) }
elsif ($cmd eq 'sink') { sink(@ARGV) }
else { fail('usage: udp-peer.pl forge|blast|client|server|sink ...') }
exit 0;
