using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace RollbackFunctions.Testing;

/// <summary>
/// A log provider that keeps what it is given, as a structured exporter would see it: the formatted
/// line, every structured value, the exception's text and the scopes around the call.
/// </summary>
public sealed class RecordingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider? scopes;

    public ConcurrentQueue<string> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(RecordingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => provider.scopes?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            var around = new List<string>();
            provider.scopes?.ForEachScope((scope, list) => list.Add($"{scope}"), around);
            provider.Entries.Enqueue($"{category}: {formatter(state, exception)} | {values} | {exception} | {string.Join(" / ", around)}");
        }
    }
}
