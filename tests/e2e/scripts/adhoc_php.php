<?php
// An ad-hoc command stage through php-cgi (tests/e2e/test_adhoc.py): the submitted
// form's fields as PHP reads a browser's POST, in $_POST (colors[] repeats).
header('Content-Type: text/plain');
$colors = isset($_POST['colors']) ? implode(',', (array)$_POST['colors']) : '';
echo 'php name=' . ($_POST['name'] ?? '') . ' colors=' . $colors
    . ' action=' . getenv('XMPP_ADHOC_ACTION') . "\n";
