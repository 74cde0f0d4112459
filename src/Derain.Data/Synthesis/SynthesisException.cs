namespace Derain.Data.Synthesis;

/// <summary>
/// A synthesis request the user can fix (a missing input, an unknown key, a value out of range, an output folder
/// that already holds files); the message says what is wrong. It is an <see cref="ArgumentException"/>, since
/// each one is a bad argument to the API as well.
/// </summary>
public sealed class SynthesisException(string message) : ArgumentException(message);
