<?php
/* e2e test handler for php-fpm (test_fastcgi.py): sends its header and a first
 * line at once (flush() makes php-fpm write FCGI_STDOUT), records the worker's
 * pid in $_SERVER['PID_DIR']/<stanza id>.pid, then sleeps 30 s before the
 * rest: the test kills the worker in between (a backend dying mid-answer). */
ini_set('default_mimetype', '');
file_get_contents('php://input');
header('Content-Type: text/plain');
echo "first part\n";
flush();
$id = preg_replace('/[^A-Za-z0-9_.-]/', '', $_SERVER['XMPP_STANZA_ID'] ?? 'noid');
$dir = $_SERVER['PID_DIR'];
file_put_contents("$dir/$id.pid.tmp", getmypid());
rename("$dir/$id.pid.tmp", "$dir/$id.pid");
sleep(30);
echo "second part\n";
