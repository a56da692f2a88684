using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Infrastructure.Audit;

/// <summary>
/// Every log line, whoever writes it, passes the redactor that replies, pages and the audit use
/// (SAFETY.md 10): a value a call formats, an exception's message and stack (a tool's stderr, a
/// connection error naming its connection string), structured values and scopes. The host's own
/// <see cref="ILoggerFactory"/> is decorated rather than each provider, so the console, the Functions
/// worker's channel to the host, OpenTelemetry and Application Insights all get the masked line, and
/// per-provider filters (<c>Logging:Console:LogLevel</c>) keep working.
/// </summary>
public sealed class RedactingLoggerFactory(ILoggerFactory inner, Func<IRedactor> redactor) : ILoggerFactory
{
    private readonly Lazy<IRedactor> redactor = new(redactor);

    /// <summary>Decorates the <see cref="ILoggerFactory"/> registered so far (adding logging if none is) with the product's redactor.</summary>
    public static void Decorate(IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(Marker)))
        {
            return;
        }

        services.AddLogging();
        var original = services.Last(d => d.ServiceType == typeof(ILoggerFactory));
        services.Remove(original);
        services.AddSingleton<Marker>();
        services.AddSingleton<ILoggerFactory>(sp => new RedactingLoggerFactory(Create(sp, original), () => RedactorOrFallback(sp, configuration)));
    }

    public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName), redactor);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();

    private static ILoggerFactory Create(IServiceProvider services, ServiceDescriptor original) =>
        (ILoggerFactory)(original.ImplementationInstance
            ?? original.ImplementationFactory?.Invoke(services)
            ?? ActivatorUtilities.CreateInstance(services, original.ImplementationType!));

    /// <summary>
    /// The product's redactor; when settings it is built from fail validation (the host is about to
    /// refuse to start and logs why), every secret-named setting is masked instead, so a bad setting
    /// never turns masking off for the lines that explain it.
    /// </summary>
    private static IRedactor RedactorOrFallback(IServiceProvider services, IConfiguration configuration)
    {
        try
        {
            return services.GetRequiredService<IRedactor>();
        }
#pragma warning disable CA1031 // Whatever failed, a log call must not throw and must not go unmasked.
        catch (Exception)
#pragma warning restore CA1031
        {
            return SecretRedactor.FromSettings(configuration);
        }
    }

    /// <summary>Marks a collection already decorated, so composing twice decorates once.</summary>
    private sealed class Marker;
}

/// <summary>A logger whose every line, value, exception and scope is redacted before the providers see it.</summary>
internal sealed class RedactingLogger(ILogger inner, Lazy<IRedactor> redactor) : ILogger
{
    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull =>
        inner.BeginScope(new RedactedLogState(state, redactor.Value, null));

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        // Checked first: formatting a line nobody writes would cost every disabled debug call.
        if (!inner.IsEnabled(logLevel))
        {
            return;
        }

        var mask = redactor.Value;
        var message = mask.Redact(formatter(state, exception));
        inner.Log(logLevel, eventId, new RedactedLogState((object?)state ?? "", mask, message), RedactedException.Of(exception, mask), static (s, _) => s.ToString());
    }
}
