package org.twinsign.testkit;

/**
 * A ZooKeeper ensemble of one or three servers on loopback, for leadership and fencing tests.
 *
 * <p>Two kinds: {@link #inProcess(int)} (curator-test servers in this JVM: quick, for unit-level
 * tests) and {@link #processes(int)} (Debian's ZooKeeper, one JVM per server: what fault tests
 * need, since only a separate process can be paused with SIGSTOP or killed with SIGKILL).
 * Servers are numbered from 0.
 */
public interface ZooKeeperEnsemble extends AutoCloseable {

  /** Starts {@code size} servers (1 or 3) in this JVM. */
  static ZooKeeperEnsemble inProcess(int size) {
    return InProcessZooKeeper.start(size);
  }

  /** Starts one server in this JVM that grants sessions of at most {@code maxSessionTimeout}. */
  static ZooKeeperEnsemble inProcessGranting(java.time.Duration maxSessionTimeout) {
    return InProcessZooKeeper.granting(maxSessionTimeout);
  }

  /** Starts {@code size} servers (1 or 3) as separate processes from Debian's {@code zookeeper} package. */
  static ZooKeeperEnsemble processes(int size) {
    return ProcessZooKeeper.start(size);
  }

  /** The client connect string, {@code 127.0.0.1:p1,127.0.0.1:p2,...}. */
  String connectString();

  int size();

  /** The client port of server {@code index}. */
  int clientPort(int index);

  /** Stops server {@code index} at once (SIGKILL for processes). */
  void kill(int index);

  /** Starts a killed server again with its data and ports. */
  void restart(int index);

  /** Suspends server {@code index} (SIGSTOP); only for {@link #processes(int)}. */
  void pause(int index);

  /** Resumes a paused server (SIGCONT); only for {@link #processes(int)}. */
  void resume(int index);

  /** Stops every server and removes their data. */
  @Override
  void close();
}
