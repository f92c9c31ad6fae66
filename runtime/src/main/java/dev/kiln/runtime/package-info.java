/**
 * What generated networks run on: the {@link dev.kiln.runtime.Model} contract every generated
 * {@code <Name>Model} implements, the {@link dev.kiln.runtime.Layer} handles assigned to the
 * declared fields, weight initialization and argument checks.
 */
package dev.kiln.runtime;
