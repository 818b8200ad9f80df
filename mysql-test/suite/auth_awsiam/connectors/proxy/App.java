// MariaDB Connector/J through auth_awsiam_proxy: a JDBC URL with a user and no
// password, as any Java application has. Run: java -cp mariadb-java-client.jar App.java PORT USER
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;

public class App {
    public static void main(String[] args) throws Exception {
        String url = "jdbc:mariadb://127.0.0.1:" + args[0] + "/?user=" + args[1];
        try (Connection c = DriverManager.getConnection(url);
             ResultSet r = c.createStatement().executeQuery("SELECT CURRENT_USER(), @@external_user")) {
            r.next();
            System.out.println("MariaDB Connector/J: " + r.getString(1) + " " + r.getString(2));
        }
    }
}
