using RollbackFunctions.Core.Ports;
namespace RollbackFunctions.Core.Executors;

/// <summary>The executors this deployment knows, by step kind.</summary>
public sealed class StepExecutorCatalog
{
    private readonly Dictionary<string, IStepExecutor> byKind;

    public StepExecutorCatalog(IEnumerable<IStepExecutor> executors) =>
        byKind = executors.ToDictionary(e => e.Kind, StringComparer.Ordinal);

    /// <summary>Known kinds, sorted, for error messages.</summary>
    public IReadOnlyList<string> Kinds => byKind.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>The executor for <paramref name="kind"/>, or null.</summary>
    public IStepExecutor? Find(string kind) => byKind.GetValueOrDefault(kind);
}
