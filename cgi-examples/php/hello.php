<?php
/* hello.php - xmpp-cgi example FastCGI handler for php-fpm: greet the sender.
 *
 * Runs behind a FastCGI route (php-fpm-pool.conf in this directory is a pool for it):
 *
 *   [route "php"]
 *   fastcgi = unix:/run/xmpp-cgi/php-fpm.sock
 *   script_filename = /usr/local/lib/xmpp-cgi/examples/php/hello.php
 *   param = APP_ENV=production
 *
 * The stanza arrives as the POST body (php://input, CONTENT_LENGTH bytes); the CGI
 * variables and the stanza's attributes are in $_SERVER (REMOTE_USER, PATH_INFO,
 * XMPP_STANZA, XMPP_STANZA_ID, XMPP_STANZA_TYPE, ..., and every param = of the route).
 * It answers like hello.py, but an iq gets XML:
 *
 *   iq                      application/xml
 *                             <hello xmlns='urn:xmpp-cgi:hello' env='APP_ENV'>
 *                               Hello, REMOTE_USER!</hello>
 *                           (embedded in the iq result)
 *   message with a <body>   text/plain "Hello, REMOTE_USER! You said: BODY"
 *                           (sent back only when the route sets message_replies = yes)
 *   message without a body  Status: 204 (chat states, receipts: nothing to say)
 *   presence                Status: 204
 *   anything else           Status: 400 and a text/plain reason (bad-request)
 *
 * One line per request goes to error_log(). With php-fpm's default fastcgi.logging = 1
 * and no error_log set for the pool, it travels as FCGI_STDERR and lands in the bridge's
 * log as "route php [fastcgi ADDR]: PHP message: hello.php: ...".
 *
 * Only PHP's core is used (no DOM/SimpleXML, which Debian ships separately in php-xml):
 * the stanza is small and comes from the bridge, which serialises it as one document
 * whose root element is the stanza; a regular expression finds what we need. */

function respond(?string $text, ?string $status = null, string $type = 'text/plain; charset=utf-8'): void
{
	if ($status !== null)
		header('Status: ' . $status);
	if ($text === null)
		return; /* no body: the Status alone answers (default_mimetype is off) */
	header('Content-Type: ' . $type);
	echo $text;
}

function xml_text(string $s): string
{
	return htmlspecialchars($s, ENT_XML1 | ENT_QUOTES, 'UTF-8');
}

ini_set('default_mimetype', ''); /* no text/html unless we say so */
$user = $_SERVER['REMOTE_USER'] ?? '';
if ($user === '')
	$user = 'stranger';
$app_env = $_SERVER['APP_ENV'] ?? 'development';
$stanza = file_get_contents('php://input');

/* The root element: optional XML declaration, then <iq|message|presence ...>. */
if ($stanza === false ||
    !preg_match('/^\s*(?:<\?xml[^>]*\?>\s*)?<(iq|message|presence)[\s>\/]/', $stanza, $m)) {
	respond("not an XMPP stanza\n", '400 Bad Request');
	return;
}
$kind = $m[1];
error_log(sprintf('hello.php: %s from %s (%s, %d bytes)', $kind, $user,
                  $_SERVER['PATH_INFO'] ?? '-', strlen($stanza)));

switch ($kind) {
case 'iq':
	respond(sprintf("<hello xmlns='urn:xmpp-cgi:hello' env='%s'>Hello, %s!</hello>\n",
	                xml_text($app_env), xml_text($user)),
	        null, 'application/xml');
	break;
case 'message':
	/* The first <body> element (a real parser would insist on a direct child). */
	if (preg_match('/<body(?:\s[^>]*)?>(.*?)<\/body>/s', $stanza, $b)) {
		$said = html_entity_decode($b[1], ENT_XML1 | ENT_QUOTES, 'UTF-8');
		respond(sprintf('Hello, %s! You said: %s', $user, $said));
	} else {
		respond(null, '204 No Content');
	}
	break;
default: /* presence */
	respond(null, '204 No Content');
}
