<?php
/* A PHP front controller (tests/e2e/test_frameworks.py), routing on REQUEST_URI as
 * PHP frameworks do. Run by php-cgi (a route's interpreter, a cgi_dir's assign, or
 * its #! line) and by php-fpm. Under any route name: /ROUTE/greet/NAME (text),
 * /ROUTE/xml (application/xml), /ROUTE/fail (a 500), anything else a 404. */
$path = rawurldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH));
$parts = explode('/', ltrim($path, '/'));
$body = file_get_contents('php://input');
if (count($parts) == 3 && $parts[1] === 'greet') {
    header('Content-Type: text/plain; charset=utf-8');
    printf("Hello, %s! (path %s, script %s, sapi %s, %d bytes)\n", $parts[2], $path,
           basename($_SERVER['SCRIPT_FILENAME']), PHP_SAPI, strlen($body));
} elseif (count($parts) == 2 && $parts[1] === 'xml') {
    header('Content-Type: application/xml');
    printf("<greeting xmlns='urn:xmpp-cgi:php' path='%s'>hello</greeting>",
           htmlspecialchars($path));
} elseif (count($parts) == 2 && $parts[1] === 'fail') {
    http_response_code(500);
    header('Content-Type: text/plain');
    echo "the greeter failed\n";
} else {
    http_response_code(404);
    header('Content-Type: text/plain');
    echo "no such page: $path\n";
}
