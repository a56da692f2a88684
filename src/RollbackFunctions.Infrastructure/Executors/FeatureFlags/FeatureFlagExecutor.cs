using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Infrastructure.Executors.FeatureFlags;

/// <summary>
/// <c>featureFlag</c>: puts a flag or configuration value back to what it was before the deploy,
/// read from the store when the deploy is registered (or given as <c>params.previousValue</c>),
/// then reads it again to confirm. Idempotent: a flag already at that value is not written.
/// </summary>
public sealed partial class FeatureFlagExecutor(IOptions<FeatureFlagOptions> options, IHttpClientFactory httpClients, TimeProvider clock) : IStepExecutor
{
    public string Kind => "featureFlag";

    public string? ValidateParams(JsonObject parameters) => Read(parameters, out _);

    public async Task<StepPreparation> PrepareAsync(StepPrepareRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var flag) is { } problem)
        {
            return StepPreparation.Failed(problem, transient: false);
        }

        if (flag.PreviousValue is { } given)
        {
            return new StepPreparation(new JsonObject { ["value"] = given.DeepClone(), ["from"] = "params.previousValue" }) { Before = StateOf(given) };
        }

        try
        {
            var current = await StoreFor(flag).ReadAsync(flag.Name, flag.Label, cancellationToken);
            return current.Exists
                ? new StepPreparation(new JsonObject { ["value"] = current.Value?.DeepClone(), ["from"] = "the store at registration" }) { Before = StateOf(current.Value) }
                : StepPreparation.Failed($"{flag} does not exist: pass params.previousValue, or leave the step out", transient: false);
        }
        catch (FlagStoreRefusedException e)
        {
            return StepPreparation.Failed($"{flag}: {e.Message}", transient: false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException && !cancellationToken.IsCancellationRequested)
        {
            return StepPreparation.Failed($"{flag}: {e.Message}", transient: true);
        }
    }

    /// <summary>The flag's value now; a flag that disappeared reads as "(absent)", a state of its own.</summary>
    public async Task<TargetObservation> ObserveAsync(StepObserveRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var flag) is { } problem)
        {
            return TargetObservation.Failed(problem, transient: false);
        }

        try
        {
            var current = await StoreFor(flag).ReadAsync(flag.Name, flag.Label, cancellationToken);
            return new TargetObservation(current.Exists ? StateOf(current.Value) : TargetState.Of(("value", "(absent)"))) { Version = current.ETag };
        }
        catch (FlagStoreRefusedException e)
        {
            return TargetObservation.Failed($"{flag}: {e.Message}", transient: false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException && !cancellationToken.IsCancellationRequested)
        {
            return TargetObservation.Failed($"{flag}: {e.Message}", transient: true);
        }
    }

    /// <summary>Flag values are shown (shortened) and compared whole, as a digest.</summary>
    private static TargetState StateOf(JsonNode? value) => new()
    {
        Shown = new Dictionary<string, string> { ["value"] = Show(value) },
        Hidden = new Dictionary<string, string> { ["value digest"] = TargetStates.Digest(value) },
    };

    public async Task<StepRevertResult> RevertAsync(StepRevertRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var flag) is { } problem)
        {
            return StepRevertResult.Failed(problem);
        }

        if (request.Captured is not { } captured || !captured.ContainsKey("value"))
        {
            return StepRevertResult.Failed($"{flag}: nothing was captured at registration");
        }

        var wanted = captured["value"];
        try
        {
            var store = StoreFor(flag);
            var current = await store.ReadAsync(flag.Name, flag.Label, cancellationToken);
            if (current.Exists && JsonNode.DeepEquals(current.Value, wanted))
            {
                return StepRevertResult.Reverted($"{flag} is already {Show(wanted)}");
            }

            await store.WriteAsync(flag.Name, flag.Label, wanted, request.ObservedVersion, cancellationToken);
            var after = await store.ReadAsync(flag.Name, flag.Label, cancellationToken);
            return JsonNode.DeepEquals(after.Value, wanted)
                ? StepRevertResult.Reverted($"{flag} back to {Show(wanted)} (was {Show(current.Value)})")
                : StepRevertResult.Failed($"{flag} was set to {Show(wanted)} but reads {Show(after.Value)}");
        }
        catch (FlagStoreRefusedException e)
        {
            return StepRevertResult.Failed($"{flag}: {e.Message}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException && !cancellationToken.IsCancellationRequested)
        {
            throw new StepUnavailableException($"{flag}: {e.Message}", e);
        }
    }

    private FlagStore StoreFor(FlagRef flag)
    {
        var provider = options.Value.Providers[flag.Provider];
        if (provider.Type == FlagProviderType.AppConfiguration)
        {
            AppConfigurationCredentials.TryParse(provider.ConnectionString, out var credentials);
            return new AppConfigurationFlagStore(httpClients, credentials!, clock);
        }

        return new HttpFlagStore(httpClients, provider);
    }

    /// <summary>A flag's value in a detail or drift sentence: the one rule for captured values (text may be a secret).</summary>
    private static string Show(JsonNode? value) => CapturedSummary.Value(value);

    private string? Read(JsonObject parameters, out FlagRef flag)
    {
        var p = new StepParams(parameters).OnlyKnown("provider", "flag", "label", "previousValue");
        var provider = p.Matching("provider", ProviderName(), "must be a provider name");
        var name = p.Matching("flag", FlagName(), "must be 1-200 letters, digits, '.', '_', '-', ':' or '/'");
        var label = p.Matching("label", FlagName(), "must be 1-200 letters, digits, '.', '_', '-', ':' or '/'", required: false);
        if (provider is not null && !options.Value.Providers.ContainsKey(provider))
        {
            var known = options.Value.Providers.Keys.Order(StringComparer.Ordinal).ToList();
            p.Add("provider", $"'{provider}' is not a configured provider; {(known.Count == 0 ? "none is configured (Rollback:Executors:FeatureFlags:Providers)" : $"configured: {string.Join(", ", known)}")}");
        }

        flag = new FlagRef(provider ?? "", name ?? "", label, parameters["previousValue"]);
        return p.Problem;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
    private static partial Regex ProviderName();

    [GeneratedRegex(@"^(?!.*\.\.)[A-Za-z0-9._:/-]{1,200}$")]
    private static partial Regex FlagName();

    private sealed record FlagRef(string Provider, string Name, string? Label, JsonNode? PreviousValue)
    {
        public override string ToString() => $"flag {Name}{(Label is null ? "" : $" ({Label})")} on {Provider}";
    }
}
