using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Sharpbox.Runtime;

// What kind of value a type holds, for the formatter: a tuple, a key/value pair, a dictionary, an
// anonymous type, a record, the user's own type (taken apart into its public members) or a framework
// type (shown by its own ToString, since taking apart e.g. a Task or a Lazy would run getters that block
// or start work).
internal static class Shape
{
    private static readonly ConcurrentDictionary<Type, IReadOnlyList<Member>> MemberCache = new();

    public static bool IsTuple(Type type) =>
        type.IsAssignableTo(typeof(ITuple)) && type.Namespace == "System" &&
        (type.Name.StartsWith("ValueTuple", StringComparison.Ordinal) || type.Name.StartsWith("Tuple", StringComparison.Ordinal));

    public static bool IsKeyValuePair(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(KeyValuePair<,>);

    public static (object? Key, object? Value)? KeyValue(object? value)
    {
        switch (value)
        {
            case DictionaryEntry d:
                return (d.Key, d.Value);
            case not null when IsKeyValuePair(value.GetType()):
                var type = value.GetType();
                return (type.GetProperty("Key")!.GetValue(value), type.GetProperty("Value")!.GetValue(value));
            default:
                return null;
        }
    }

    public static bool IsDictionary(Type type) =>
        type.IsAssignableTo(typeof(IDictionary)) ||
        type.GetInterfaces().Any(i => i.IsGenericType &&
            (i.GetGenericTypeDefinition() == typeof(IDictionary<,>) || i.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>)));

    public static bool IsAnonymous(Type type) =>
        type.IsClass && type.Name.Contains("AnonymousType", StringComparison.Ordinal) &&
        type.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false);

    /// <summary>A record class (it has the compiler's clone method) or a record struct (its PrintMembers).</summary>
    public static bool IsRecord(Type type) =>
        type.GetMethod("<Clone>$", BindingFlags.Public | BindingFlags.Instance) is not null ||
        (type.IsValueType && type.GetMethod("PrintMembers", BindingFlags.NonPublic | BindingFlags.Instance) is { } m &&
         m.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false));

    /// <summary>Types shown as `Name { Member = value, … }`: anonymous types, records, and the user's own types without a ToString of their own.</summary>
    public static bool ExpandsMembers(Type type) =>
        IsAnonymous(type) || IsRecord(type) || (!IsFramework(type) && !OverridesToString(type));

    public static bool IsFramework(Type type)
    {
        var assembly = type.Assembly;
        if (assembly == typeof(object).Assembly || assembly == typeof(Shape).Assembly) return true;
        var name = assembly.GetName().Name ?? "";
        return name.StartsWith("System.", StringComparison.Ordinal) || name.StartsWith("Microsoft.", StringComparison.Ordinal) ||
               name is "System" or "mscorlib" or "netstandard";
    }

    private static bool OverridesToString(Type type)
    {
        var method = type.GetMethod(nameof(ToString), BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes);
        return method is not null && method.DeclaringType != typeof(object) && method.DeclaringType != typeof(ValueType);
    }

    /// <summary>The name shown before `{ … }`: none for an anonymous type, as C# writes one.</summary>
    public static string Name(Type type) => IsAnonymous(type) ? "" : TypeNames.Of(type);

    /// <summary>What a record's ToString would list: its public instance fields and readable properties, in declaration order.</summary>
    public static IReadOnlyList<Member> Members(Type type) => MemberCache.GetOrAdd(type, static t =>
    [
        .. t.GetMembers(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => m switch
            {
                PropertyInfo p => p.CanRead && p.GetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0 && !p.PropertyType.IsByRefLike,
                FieldInfo f => !f.FieldType.IsByRefLike,
                _ => false,
            })
            .OrderBy(m => m.MetadataToken)
            .Select(m => new Member(m.Name, m is PropertyInfo p ? p.GetValue : ((FieldInfo)m).GetValue)),
    ]);

    /// <summary>How many items a collection holds, when it can say without being enumerated.</summary>
    public static int? CountOf(object items)
    {
        if (items is ICollection c) return c.Count;
        var readOnly = items.GetType().GetInterfaces()
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IReadOnlyCollection<>));
        try
        {
            return readOnly?.GetProperty("Count")?.GetValue(items) as int?;
        }
        catch (Exception)
        {
            return null;
        }
    }

    public sealed record Member(string Name, Func<object?, object?> Read);
}

// C#'s spelling of a type: `List<int>`, `int[]`, `(int, string)`.
internal static class TypeNames
{
    private static readonly Dictionary<Type, string> Keywords = new()
    {
        [typeof(bool)] = "bool", [typeof(byte)] = "byte", [typeof(sbyte)] = "sbyte", [typeof(char)] = "char",
        [typeof(short)] = "short", [typeof(ushort)] = "ushort", [typeof(int)] = "int", [typeof(uint)] = "uint",
        [typeof(long)] = "long", [typeof(ulong)] = "ulong", [typeof(float)] = "float", [typeof(double)] = "double",
        [typeof(decimal)] = "decimal", [typeof(string)] = "string", [typeof(object)] = "object",
        [typeof(nint)] = "nint", [typeof(nuint)] = "nuint",
    };

    public static string Of(Type type)
    {
        // A framework type's hidden implementation (DelayPromise, SelectArrayIterator…) by its first public base.
        while (!(type.IsPublic || type.IsNestedPublic) && type.BaseType is { } parent && Shape.IsFramework(type) && !Shape.IsAnonymous(type))
            type = parent;
        if (Keywords.TryGetValue(type, out var keyword)) return keyword;
        if (type.IsArray) return $"{Of(type.GetElementType()!)}[{new string(',', type.GetArrayRank() - 1)}]";
        if (Nullable.GetUnderlyingType(type) is { } underlying) return $"{Of(underlying)}?";
        if (Shape.IsAnonymous(type)) return "<anonymous>";
        var name = type.Name;
        var tick = name.IndexOf('`');
        if (tick >= 0) name = name[..tick];
        if (!type.IsGenericType) return name;
        return $"{name}<{string.Join(", ", type.GetGenericArguments().Select(Of))}>";
    }
}
