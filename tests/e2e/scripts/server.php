<?php
/* e2e test handler for php-fpm (test_fastcgi.py): answers text/plain with every
 * scalar of $_SERVER as NAME=value lines, sorted by name, then
 * STDIN_BYTES=<bytes read from php://input>.  Values are written as they are:
 * the tests send no newlines in attributes. */
ini_set('default_mimetype', '');
$in = file_get_contents('php://input');
header('Content-Type: text/plain');
$s = $_SERVER;
ksort($s, SORT_STRING);
foreach ($s as $k => $v)
	if (is_scalar($v))
		echo $k, '=', $v, "\n";
echo 'STDIN_BYTES=', strlen($in), "\n";
