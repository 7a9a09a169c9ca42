package cn.gov.budget.engine;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import javax.sql.DataSource;
import org.operaton.bpm.engine.IdentityService;
import org.operaton.bpm.engine.ProcessEngine;
import org.operaton.bpm.engine.identity.User;
import org.operaton.bpm.engine.rest.security.auth.ProcessEngineAuthenticationFilter;
import org.operaton.bpm.engine.rest.security.auth.impl.HttpBasicAuthenticationProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;

/**
 * The platform's workflow engine: Operaton 1.0.3 (Apache-2.0) with its REST API under
 * /engine-rest. Configuration comes only from environment variables (application.yaml names
 * them). Several nodes may run on one database; each job and external task runs once.
 */
@SpringBootApplication
public class EngineApplication {

  private static final Logger LOG = LoggerFactory.getLogger(EngineApplication.class);

  /**
   * Indexes the stock schema lacks, measured as needed at scale (README, bench:engine):
   * completing a user task runs "select * from ACT_RU_TASK where PARENT_TASK_ID_ = ?", a full scan
   * without an index (14 completions/s at 200,000 open tasks on MariaDB, ~210/s with it); the
   * inbox reconciliation asks for tasks created after a point in time (CREATE_TIME_).
   * Created at start when missing, whatever the database (H2, MySQL/MariaDB, PostgreSQL).
   */
  static final List<String[]> EXTRA_INDEXES = List.of(
      new String[] {"ACT_RU_TASK", "PARENT_TASK_ID_", "BUDGET_IDX_TASK_PARENT"},
      new String[] {"ACT_RU_TASK", "CREATE_TIME_", "BUDGET_IDX_TASK_CREATED"});

  public static void main(String[] args) {
    SpringApplication.run(EngineApplication.class, args);
  }

  @Bean
  ApplicationRunner extraIndexes(DataSource dataSource) {
    return args -> {
      try (Connection c = dataSource.getConnection()) {
        DatabaseMetaData meta = c.getMetaData();
        // This engine's own database and schema only: on a server shared with other engine
        // databases (MariaDB), a null catalog would find their indexes and skip ours.
        String catalog = c.getCatalog();
        String schema = c.getSchema();
        for (String[] ix : EXTRA_INDEXES) {
          if (hasIndexOn(meta, catalog, schema, ix[0], ix[1])) continue;
          try (Statement s = c.createStatement()) {
            s.execute("CREATE INDEX " + ix[2] + " ON " + ix[0] + "(" + ix[1] + ")");
            LOG.info("created index {} on {}({})", ix[2], ix[0], ix[1]);
          } catch (Exception e) {
            // Another node created it at the same moment: check again before complaining.
            if (!hasIndexOn(meta, catalog, schema, ix[0], ix[1])) throw e;
          }
        }
      }
    };
  }

  private static boolean hasIndexOn(DatabaseMetaData meta, String catalog, String schema, String table, String column) throws Exception {
    for (String name : new String[] {table, table.toLowerCase(Locale.ROOT)}) {
      try (ResultSet rs = meta.getIndexInfo(catalog, schema, name, false, false)) {
        while (rs.next()) {
          String col = rs.getString("COLUMN_NAME");
          if (rs.getShort("ORDINAL_POSITION") == 1 && col != null && col.equalsIgnoreCase(column)) return true;
        }
      }
    }
    return false;
  }

  /**
   * The platform's account on the REST API (ENGINE_REST_USER / ENGINE_REST_PASSWORD, with
   * ENGINE_REST_AUTH=true): created when missing, its password set again when it differs, so the
   * configuration is the one place it is kept. Several nodes starting at once may race to create
   * it: the loser finds it and checks again.
   */
  @Bean
  @ConditionalOnProperty(name = "engine.rest-auth", havingValue = "true")
  ApplicationRunner restAccount(ProcessEngine engine, @Value("${engine.rest-user:}") String user, @Value("${engine.rest-password:}") String password) {
    return args -> {
      if (user.isBlank() || password.isEmpty()) {
        LOG.warn("ENGINE_REST_AUTH is on but ENGINE_REST_USER / ENGINE_REST_PASSWORD are not set: only existing engine users can call the REST API");
        return;
      }
      IdentityService identity = engine.getIdentityService();
      for (int attempt = 1; ; attempt++) {
        try {
          User existing = identity.createUserQuery().userId(user).singleResult();
          if (existing == null) {
            User created = identity.newUser(user);
            created.setFirstName("预算平台");
            created.setLastName("服务账号");
            created.setPassword(password);
            identity.saveUser(created);
            LOG.info("created the platform's REST account {}", user);
          } else if (!identity.checkPassword(user, password)) {
            existing.setPassword(password);
            identity.saveUser(existing);
            identity.unlockUser(user);
            LOG.info("updated the password of the platform's REST account {}", user);
          }
          return;
        } catch (RuntimeException e) {
          if (attempt >= 3) throw e;
          Thread.sleep(200L * attempt);
        }
      }
    };
  }

  /** Optional HTTP Basic auth on /engine-rest (ENGINE_REST_AUTH=true); users are the engine's own identity users. */
  @Bean
  @ConditionalOnProperty(name = "engine.rest-auth", havingValue = "true")
  FilterRegistrationBean<ProcessEngineAuthenticationFilter> restAuthFilter() {
    FilterRegistrationBean<ProcessEngineAuthenticationFilter> reg = new FilterRegistrationBean<>(new ProcessEngineAuthenticationFilter());
    reg.addInitParameter("authentication-provider", HttpBasicAuthenticationProvider.class.getName());
    reg.addUrlPatterns("/engine-rest/*");
    return reg;
  }
}
