package org.twinsign.appliance.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A node's configuration, one Java-properties file ({@code --config FILE} or {@code TWINSIGN_CONFIG}):
 *
 * <pre>
 * node.mode=single                                # single: the only signer; pair: one of a master/standby pair
 * db.url=jdbc:mariadb://127.0.0.1:3306/twinsign
 * db.user=twinsign
 * db.password.file=/etc/twinsign/db.password
 * repository.&lt;NAME&gt;.library=/usr/lib/softhsm/libsofthsm2.so
 * repository.&lt;NAME&gt;.token=&lt;token label&gt;
 * repository.&lt;NAME&gt;.pin.file=/etc/twinsign/&lt;NAME&gt;.pin
 * repository.&lt;NAME&gt;.require-backup=true|false
 * repository.&lt;NAME&gt;.type=soft                  # a soft key store instead of a PKCS#11 token:
 * repository.&lt;NAME&gt;.directory=/var/lib/twinsign/softkeys   # its directory (with pin.file; no library/token)
 * ds.submit-command=/usr/local/bin/ds-submit      # optional: gets the DNSKEYs to submit on stdin
 * ds.retract-command=/usr/local/bin/ds-retract    # optional: gets the DNSKEYs to retract on stdin
 * keypool.horizon=P180D                           # optional: generate keys for the rollovers due within
 * keypool.max=100                                 # optional: at most this many pool keys per repository, role, algorithm
 * alert.smtp.host=...                             # optional: where alerts are mailed ({@link org.twinsign.appliance.alert.MailSettings})
 * </pre>
 * With {@code node.mode=pair}, also the keys of {@link PairConfig}.
 *
 * Secrets are not read here: only the files that hold them are named. Every error names the file
 * and the key.
 */
public record TwinsignConfig(Path source, String dbUrl, String dbUser, Path dbPasswordFile,
    Map<String, Repository> repositories, java.util.List<String> dsSubmitCommand,
    java.util.List<String> dsRetractCommand, java.time.Duration keyPoolHorizon, NodeMode nodeMode, int keyPoolMax,
    PairConfig pair, org.twinsign.appliance.alert.MailSettings alerts) {

  /** How many keys one pool (repository, role, algorithm) holds at most, by default. */
  public static final int DEFAULT_KEY_POOL_MAX = 100;

  /**
   * Whether this node is the only signer, or one of a pair. Always set in the file: a node that
   * writes without a fencing epoch must have been told that it has no rival, never assume it.
   */
  public enum NodeMode { SINGLE, PAIR }

  /** How far ahead the key pool holds keys by default. */
  public static final java.time.Duration DEFAULT_KEY_POOL_HORIZON = java.time.Duration.ofDays(180);
  private static final java.util.Set<String> PLAIN_KEYS = java.util.Set.of("node.mode", "db.url", "db.user", "db.password.file",
      "ds.submit-command", "ds.retract-command", "keypool.horizon", "keypool.max");

  private static final Pattern REPOSITORY_KEY = Pattern.compile("repository\\.([A-Za-z0-9_-]+)\\.(.+)");

  /**
   * One key repository as the store and the enforcer see it: a PKCS#11 token ({@code library},
   * {@code token}) or a soft key store ({@code directory}, for {@code type=soft}).
   */
  public record Repository(String name, Path library, String token, Path pinFile, boolean requireBackup,
      Path directory) {
    /** Whether this is a soft key store. */
    public boolean soft() {
      return directory != null;
    }
  }

  /** The names of the PKCS#11 repositories (not soft key stores): key sync moves their keys. */
  public java.util.List<String> tokenRepositories() {
    return repositories.values().stream().filter(r -> !r.soft()).map(Repository::name).toList();
  }

  public static TwinsignConfig load(Path file) {
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      properties.load(reader);
    } catch (NoSuchFileException e) {
      throw new ConfigException("config file " + file + " does not exist: pass --config FILE or set TWINSIGN_CONFIG");
    } catch (IOException | IllegalArgumentException e) {
      throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
    }
    Path base = file.toAbsolutePath().getParent();
    Map<String, Map<String, String>> repositoryKeys = new TreeMap<>();
    for (String key : new java.util.TreeSet<>(properties.stringPropertyNames())) {
      String value = properties.getProperty(key).trim();
      Matcher matcher = REPOSITORY_KEY.matcher(key);
      if (matcher.matches()) {
        String field = matcher.group(2);
        if (!java.util.Set.of("library", "token", "pin.file", "require-backup", "type", "directory").contains(field)) {
          throw new ConfigException(file + ": unknown key '" + key
              + "': a repository has type, library, token, directory, pin.file and require-backup");
        }
        repositoryKeys.computeIfAbsent(matcher.group(1), name -> new TreeMap<>()).put(field, value);
      } else if (!PLAIN_KEYS.contains(key) && !PairConfig.KEYS.contains(key) && !DnsConfig.KEYS.contains(key)
          && !key.startsWith("alert.")) { // alert.* keys are checked by MailSettings
        throw new ConfigException(file + ": unknown key '" + key + "': known keys are " + new java.util.TreeSet<>(
            PLAIN_KEYS) + " and repository.<NAME>.{library,token,pin.file,require-backup}");
      }
    }
    Map<String, Repository> repositories = new TreeMap<>();
    for (Map.Entry<String, Map<String, String>> entry : repositoryKeys.entrySet()) {
      String name = entry.getKey();
      Map<String, String> fields = entry.getValue();
      String backup = fields.getOrDefault("require-backup", "false");
      if (!backup.equals("true") && !backup.equals("false")) {
        throw new ConfigException(file + ": repository." + name + ".require-backup must be true or false, not '"
            + backup + "'");
      }
      String prefix = "repository." + name + ".";
      String type = fields.getOrDefault("type", "pkcs11");
      Path pinFile = base.resolve(required(file, fields, prefix, "pin.file"));
      if (type.equals("soft")) {
        for (String field : new String[] {"library", "token"}) {
          if (fields.containsKey(field)) {
            throw new ConfigException(file + ": '" + prefix + field + "' does not apply to " + prefix + "type=soft");
          }
        }
        repositories.put(name, new Repository(name, null, null, pinFile, Boolean.parseBoolean(backup),
            base.resolve(required(file, fields, prefix, "directory"))));
      } else if (type.equals("pkcs11")) {
        if (fields.containsKey("directory")) {
          throw new ConfigException(file + ": '" + prefix + "directory' applies to " + prefix + "type=soft only");
        }
        repositories.put(name, new Repository(name, base.resolve(required(file, fields, prefix, "library")),
            required(file, fields, prefix, "token"), pinFile, Boolean.parseBoolean(backup), null));
      } else {
        throw new ConfigException(file + ": " + prefix + "type '" + type + "' is unknown: use pkcs11 (the default)"
            + " or soft");
      }
    }
    String url = requiredKey(file, properties, "db.url");
    if (url.toLowerCase(java.util.Locale.ROOT).matches(".*[?&;](password|pwd)=.*")) {
      // the URL appears in messages and logs; the password belongs in its own file
      throw new ConfigException(file + ": db.url must not hold a password: put it in db.password.file");
    }
    if (!url.startsWith("jdbc:mariadb:") && !url.startsWith("jdbc:mysql:")) {
      throw new ConfigException(file + ": db.url '" + url + "' is not a MariaDB JDBC URL (jdbc:mariadb://HOST:PORT/DB)");
    }
    java.time.Duration horizon = DEFAULT_KEY_POOL_HORIZON;
    String horizonText = properties.getProperty("keypool.horizon");
    if (horizonText != null) {
      try {
        horizon = java.time.Duration.parse(horizonText.trim());
      } catch (java.time.format.DateTimeParseException e) {
        throw new ConfigException(file + ": keypool.horizon '" + horizonText.trim()
            + "' is not a duration: use days (P180D) or hours (PT12H)");
      }
    }
    int poolMax = DEFAULT_KEY_POOL_MAX;
    String maxText = properties.getProperty("keypool.max");
    if (maxText != null) {
      try {
        poolMax = Integer.parseInt(maxText.trim());
      } catch (NumberFormatException e) {
        poolMax = -1;
      }
      if (poolMax < 1) {
        throw new ConfigException(file + ": keypool.max '" + maxText.trim() + "' must be a whole number of keys, 1 or"
            + " more");
      }
    }
    String modeText = requiredKey(file, properties, "node.mode");
    NodeMode mode;
    if (modeText.equals("single")) {
      mode = NodeMode.SINGLE;
    } else if (modeText.equals("pair")) {
      mode = NodeMode.PAIR;
    } else {
      throw new ConfigException(file + ": node.mode must be 'single' (the only signer) or 'pair' (one node of a"
          + " master/standby pair), not '" + modeText + "'");
    }
    PairConfig pair = null;
    if (mode == NodeMode.PAIR) {
      pair = PairConfig.parse(file, properties);
    } else {
      for (String key : new java.util.TreeSet<>(properties.stringPropertyNames())) {
        if (PairConfig.KEYS.contains(key) || DnsConfig.KEYS.contains(key)) {
          throw new ConfigException(file + ": '" + key + "' applies to node.mode=pair only (the node daemon)");
        }
      }
    }
    return new TwinsignConfig(file, url, requiredKey(file, properties, "db.user"),
        base.resolve(requiredKey(file, properties, "db.password.file")), Collections.unmodifiableMap(repositories),
        command(properties, "ds.submit-command"), command(properties, "ds.retract-command"), horizon, mode, poolMax,
        pair, org.twinsign.appliance.alert.MailSettings.parse(file, properties));
  }

  /** A hook command: a program and its arguments, split on spaces (no shell). */
  private static java.util.List<String> command(Properties properties, String key) {
    String value = properties.getProperty(key);
    return value == null || value.isBlank() ? java.util.List.of() : java.util.List.of(value.trim().split("\\s+"));
  }

  /** The database password, read from its file when needed; never logged. */
  public String readDbPassword() {
    String unsafe = SecretFile.problem(dbPasswordFile, "db.password.file");
    if (unsafe != null) {
      throw new ConfigException(unsafe);
    }
    try {
      return Files.readString(dbPasswordFile, StandardCharsets.UTF_8).strip();
    } catch (NoSuchFileException e) {
      throw new ConfigException("db.password.file " + dbPasswordFile + " (in " + source + ") does not exist");
    } catch (IOException e) {
      throw new ConfigException("cannot read db.password.file " + dbPasswordFile + ": " + e.getMessage());
    }
  }

  private static String requiredKey(Path file, Properties properties, String key) {
    String value = properties.getProperty(key);
    if (value == null || value.isBlank()) {
      throw new ConfigException(file + ": '" + key + "' is missing" + (key.equals("node.mode")
          ? ": set node.mode=single for a signer without a standby, node.mode=pair for one node of a pair" : ""));
    }
    return value.trim();
  }

  private static String required(Path file, Map<String, String> fields, String prefix, String field) {
    String value = fields.get(field);
    if (value == null || value.isBlank()) {
      throw new ConfigException(file + ": '" + prefix + field + "' is missing");
    }
    return value;
  }
}
