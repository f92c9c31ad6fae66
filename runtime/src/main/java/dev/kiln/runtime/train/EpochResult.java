package dev.kiln.runtime.train;

/**
 * One epoch's numbers. Accuracies are NaN for data without class labels; test values are NaN
 * without a test set.
 *
 * @param epoch counted from 1
 * @param seconds wall time of the epoch's training (evaluation not included)
 */
public record EpochResult(
    int epoch,
    double trainLoss,
    double trainAccuracy,
    double testLoss,
    double testAccuracy,
    double seconds,
    double imagesPerSecond,
    double learningRate) {}
