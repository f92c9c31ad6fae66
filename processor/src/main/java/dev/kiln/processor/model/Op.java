package dev.kiln.processor.model;

import dev.kiln.annotations.BiasInit;
import dev.kiln.annotations.Init;

/** What a layer computes, with every setting resolved. One record per layer kind. */
public sealed interface Op {

  /** Kind as shown in summaries and messages, e.g. {@code "Conv2D"}. */
  String kind();

  /** Kind and settings, e.g. {@code "Conv2D 5x5 stride 1 SAME (pad 2/2/2/2)"}. */
  String describe();

  record Conv(int filters, Window window, boolean bias, Init init, BiasInit biasInit) implements Op {
    @Override
    public String kind() {
      return "Conv2D";
    }

    @Override
    public String describe() {
      return "Conv2D " + window.describe() + (bias ? "" : " no bias");
    }
  }

  record Pool(PoolKind pool, Window window) implements Op {
    @Override
    public String kind() {
      return pool.displayName();
    }

    @Override
    public String describe() {
      return pool == PoolKind.GLOBAL_AVG
          ? pool.displayName() + " " + window.kernelHeight() + "x" + window.kernelWidth()
          : pool.displayName() + " " + window.describe();
    }
  }

  record Dense(int units, boolean bias, Init init, BiasInit biasInit) implements Op {
    @Override
    public String kind() {
      return "Dense";
    }

    @Override
    public String describe() {
      return "Dense " + units + (bias ? "" : " no bias");
    }
  }

  record Flatten(boolean implicit) implements Op {
    @Override
    public String kind() {
      return "Flatten";
    }

    @Override
    public String describe() {
      return implicit ? "Flatten (implicit, HWC)" : "Flatten (HWC)";
    }
  }

  record Dropout(double rate) implements Op {
    @Override
    public String kind() {
      return "Dropout";
    }

    @Override
    public String describe() {
      return "Dropout " + rate;
    }
  }

  record Activate(Activation activation) implements Op {
    @Override
    public String kind() {
      return activation.describe();
    }

    @Override
    public String describe() {
      return activation.describe();
    }
  }

  /** Per-channel normalization by batch statistics (moving averages at inference). */
  record BatchNorm(double momentum, double epsilon) implements Op {
    @Override
    public String kind() {
      return "BatchNorm";
    }

    @Override
    public String describe() {
      return "BatchNorm momentum " + momentum + " epsilon " + epsilon;
    }
  }

  /** A layer of two or more inputs: their sum, or their channels side by side. */
  record Merge(MergeKind merge) implements Op {
    @Override
    public String kind() {
      return merge.displayName();
    }

    @Override
    public String describe() {
      return merge.displayName();
    }
  }

  enum MergeKind {
    ADD("Add"),
    CONCAT("Concat");

    private final String displayName;

    MergeKind(String displayName) {
      this.displayName = displayName;
    }

    public String displayName() {
      return displayName;
    }
  }

  enum PoolKind {
    MAX("MaxPool"),
    AVG("AvgPool"),
    /** An average over the whole input: the window is its height and width. */
    GLOBAL_AVG("GlobalAvgPool");

    private final String displayName;

    PoolKind(String displayName) {
      this.displayName = displayName;
    }

    public String displayName() {
      return displayName;
    }
  }
}
