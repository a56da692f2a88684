using System.Collections;
using System.Globalization;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Infrastructure.Audit;

/// <summary>
/// A log entry's or scope's state with every value redacted, read the way structured providers read
/// it (key/value pairs, <c>{OriginalFormat}</c> kept) and the way text providers do (<see cref="ToString"/>).
/// Values are masked when read, so a scope nobody prints costs nothing.
/// </summary>
internal sealed class RedactedLogState(object state, IRedactor redactor, string? message) : IReadOnlyList<KeyValuePair<string, object?>>
{
    private const string OriginalFormat = "{OriginalFormat}";

    private IReadOnlyList<KeyValuePair<string, object?>>? values;

    public int Count => Values.Count;

    public KeyValuePair<string, object?> this[int index] => Values[index];

    private IReadOnlyList<KeyValuePair<string, object?>> Values => values ??= state is IEnumerable<KeyValuePair<string, object?>> pairs
        ? pairs.Select(p => p.Key == OriginalFormat ? p : new KeyValuePair<string, object?>(p.Key, Redact(p.Value))).ToList()
        : [];

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => Values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => message ??= redactor.Redact(Convert.ToString(state, CultureInfo.InvariantCulture) ?? "");

    /// <summary>The value itself when its text holds no secret (numbers, times, ids keep their type); otherwise its masked text.</summary>
    private object? Redact(object? value)
    {
        var text = value switch
        {
            null => null,
            string s => s,
            IEnumerable items => string.Join(", ", items.Cast<object?>().Select(item => Convert.ToString(item, CultureInfo.InvariantCulture))),
            _ => Convert.ToString(value, CultureInfo.InvariantCulture),
        };
        if (text is null)
        {
            return value;
        }

        var masked = redactor.Redact(text);
        return ReferenceEquals(masked, text) || masked == text ? value : masked;
    }
}

/// <summary>
/// An exception whose message and text held a secret, standing in for it in the log: providers write
/// <see cref="ToString"/> (type, message, inner exceptions, stack), every part of it masked.
/// </summary>
internal sealed class RedactedException : Exception
{
    private readonly string text;

    private RedactedException(string message, string text)
        : base(message) => this.text = text;

    public RedactedException()
        : this("", "")
    {
    }

    public RedactedException(string message)
        : this(message, message)
    {
    }

    public RedactedException(string message, Exception innerException)
        : base(message, innerException) => text = message;

    public override string? StackTrace => null;

    /// <summary><paramref name="exception"/> itself when nothing in it is secret, else a masked stand-in.</summary>
    public static Exception? Of(Exception? exception, IRedactor redactor)
    {
        if (exception is null)
        {
            return null;
        }

        var text = exception.ToString();
        var masked = redactor.Redact(text);
        return masked == text ? exception : new RedactedException($"{exception.GetType().FullName}: {redactor.Redact(exception.Message)}", masked);
    }

    public override string ToString() => text;
}
