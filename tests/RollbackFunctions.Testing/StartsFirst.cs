using Xunit.Abstractions;
using Xunit;

namespace RollbackFunctions.Testing;

/// <summary>
/// Marks a test class that runs for a minute or more. Its collection is started before the others,
/// so it runs beside them instead of alone at the end of the run (the suite's wall time is its
/// longest tail, and only a few collections run at once).
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class StartsFirstAttribute : Attribute;

/// <summary>
/// Orders collections with <see cref="StartsFirstAttribute"/> classes first and leaves the rest in
/// xUnit's order. Named by the test assemblies' <c>[assembly: TestCollectionOrderer]</c>.
/// </summary>
public sealed class StartsFirstOrderer : ITestCollectionOrderer
{
    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(c => StartsFirst(c) ? 0 : 1);

    // A collection per class is named "Test collection for <class full name>", sometimes followed by " (id: …)".
    private static bool StartsFirst(ITestCollection collection)
    {
        const string Prefix = "Test collection for ";
        if (!collection.DisplayName.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var className = collection.DisplayName[Prefix.Length..].Split(' ')[0];
        var type = collection.TestAssembly.Assembly.GetType(className);
        return type?.GetCustomAttributes(typeof(StartsFirstAttribute)).Any() == true;
    }
}
