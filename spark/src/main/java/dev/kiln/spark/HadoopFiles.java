package dev.kiln.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

/**
 * Files at paths Spark writes (a local path, {@code hdfs:}, {@code s3a:} ...), through Hadoop's
 * {@link FileSystem}: the runtime's checkpoints read and write local files, so they go through a
 * local temporary copy. Writes are atomic: a new file or directory is complete before it appears
 * under its name.
 */
final class HadoopFiles {
  private HadoopFiles() {}

  static org.apache.hadoop.fs.Path path(String uri) {
    return new org.apache.hadoop.fs.Path(uri);
  }

  static FileSystem fileSystem(String uri, Configuration hadoop) throws IOException {
    return path(uri).getFileSystem(hadoop);
  }

  /** A local temporary copy of the file at {@code uri}; the caller deletes it. */
  static Path copyToLocal(String uri, Configuration hadoop) throws IOException {
    FileSystem fs = fileSystem(uri, hadoop);
    org.apache.hadoop.fs.Path from = path(uri);
    if (!fs.exists(from)) {
      throw new java.io.FileNotFoundException(uri + " not found");
    }
    if (fs.getFileStatus(from).isDirectory()) {
      throw new IOException(uri + " is a directory, expected a .safetensors file");
    }
    Path local = Files.createTempFile("kiln", ".safetensors");
    try (InputStream in = fs.open(from)) {
      Files.copy(in, local, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      Files.deleteIfExists(local);
      throw e;
    }
    return local;
  }

  /** Copies {@code local} to {@code uri}: written beside it under a temporary name, then renamed. */
  static void copyFromLocal(Path local, String uri, Configuration hadoop) throws IOException {
    FileSystem fs = fileSystem(uri, hadoop);
    org.apache.hadoop.fs.Path to = path(uri);
    org.apache.hadoop.fs.Path aside = temporarySibling(to);
    try (OutputStream out = fs.create(aside, false)) {
      Files.copy(local, out);
    }
    commit(fs, aside, to);
  }

  /**
   * Writes {@code data} as Parquet at {@code uri}, replacing what is there, all or nothing: Spark
   * writes it under a hidden name beside {@code uri} (which Spark's readers skip), and it is
   * renamed to {@code uri} only when the job has succeeded. A failed job's partial output is
   * deleted; a killed one's stays under the hidden name, and {@code uri} keeps what it held.
   */
  static void writeParquet(org.apache.spark.sql.Dataset<?> data, String uri, Configuration hadoop)
      throws IOException {
    FileSystem fs = fileSystem(uri, hadoop);
    org.apache.hadoop.fs.Path target = path(uri);
    org.apache.hadoop.fs.Path aside = temporarySibling(target);
    try {
      data.write().parquet(aside.toString());
    } catch (Exception e) { // SparkException too, which Scala throws undeclared
      fs.delete(aside, true);
      throw e;
    }
    commit(fs, aside, target);
  }

  /** A name beside {@code path} that Spark's readers skip (a leading dot) and nothing else uses. */
  static org.apache.hadoop.fs.Path temporarySibling(org.apache.hadoop.fs.Path path) {
    return new org.apache.hadoop.fs.Path(
        path.getParent(), "." + path.getName() + ".tmp-" + UUID.randomUUID());
  }

  /** Renames {@code aside} to {@code to}, replacing what was there (a file or a directory). */
  static void commit(FileSystem fs, org.apache.hadoop.fs.Path aside, org.apache.hadoop.fs.Path to)
      throws IOException {
    if (fs.exists(to) && !fs.delete(to, true)) {
      throw new IOException("cannot replace " + to);
    }
    if (!fs.rename(aside, to)) {
      throw new IOException("cannot rename " + aside + " to " + to);
    }
  }
}
