# Ruby mysql2 through auth_awsiam_proxy: a user, no password.
# Run: ruby app.rb PORT USER
require "mysql2"

client = Mysql2::Client.new(host: "127.0.0.1", port: Integer(ARGV[0]), username: ARGV[1])
row = client.query("SELECT CURRENT_USER() AS user, @@external_user AS arn").first
puts "Ruby mysql2: #{row['user']} #{row['arn']}"
