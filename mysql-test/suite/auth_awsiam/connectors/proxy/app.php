<?php
// PHP mysqli (mysqlnd) through auth_awsiam_proxy: a user, no password.
// Run: php app.php PORT USER
mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
$db = new mysqli("127.0.0.1", $argv[2], "", "", (int) $argv[1]);
$row = $db->query("SELECT CURRENT_USER(), @@external_user")->fetch_row();
echo "PHP mysqli: $row[0] $row[1]\n";
