using System.Collections;
using System.Reflection;
using Temporalio.Common;
using Temporalio.Worker;

namespace AbandonedCart.Worker.Simulation;

/// <summary>
/// Reads the commands a workflow task produced during a replay. Temporalio 1.22.0 exposes them only through
/// non-public members, because interceptors do not see patches or search-attribute upserts:
/// <c>WorkflowTaskEventArgs.workflowInstance</c> (the running <c>WorkflowInstance</c>), its field
/// <c>completion</c> (the bridge's <c>WorkflowActivationCompletion</c>, set before <c>WorkflowTaskStarting</c>
/// fires and cleared before <c>WorkflowTaskCompleted</c> fires, so it is taken at the start and read at the end),
/// and its properties <c>IsReplaying</c>, <c>CurrentDetails</c>, <c>TypedSearchAttributes</c> and <c>Instance</c>.
/// The completion (an internal generated protobuf class) is read through its CLR properties by name, not through
/// protobuf descriptors: building the bridge's descriptors costs most of a second, too much for <c>simulate</c>. The SDK version is pinned in
/// Directory.Packages.props; <see cref="Verify"/> (run by a canary test) fails loudly when an upgrade moves any of it.
/// </summary>
public sealed class WorkflowTaskTap
{
    private const BindingFlags Members = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;

    private static readonly FieldInfo? InstanceField =
        typeof(WorkflowTaskEventArgs).GetField("workflowInstance", Members);

    private static readonly Type? InstanceType = InstanceField?.FieldType;
    private static readonly FieldInfo? CompletionField = InstanceType?.GetField("completion", Members);
    private static readonly PropertyInfo? IsReplayingProperty = InstanceType?.GetProperty("IsReplaying", Members);
    private static readonly PropertyInfo? CurrentDetailsProperty = InstanceType?.GetProperty("CurrentDetails", Members);
    private static readonly PropertyInfo? SearchAttributesProperty = InstanceType?.GetProperty("TypedSearchAttributes", Members);
    private static readonly PropertyInfo? WorkflowObjectProperty = InstanceType?.GetProperty("Instance", Members);

    private readonly List<TapActivation> activations = [];
    private TapActivation? current;

    /// <summary>Activations of the last (not replayed) workflow task, in order.</summary>
    public IReadOnlyList<TapActivation> Activations => activations;

    /// <summary>
    /// Throws when the SDK no longer has the members this tap reads. Run by a canary test, so an SDK upgrade that
    /// moves them fails one clearly named test instead of every scenario.
    /// </summary>
    public static void Verify()
    {
        var missing = new List<string>();
        Check(InstanceField, "WorkflowTaskEventArgs.workflowInstance (field)");
        Check(CompletionField, "WorkflowInstance.completion (field)");
        Check(IsReplayingProperty, "WorkflowInstance.IsReplaying");
        Check(CurrentDetailsProperty, "WorkflowInstance.CurrentDetails");
        Check(SearchAttributesProperty, "WorkflowInstance.TypedSearchAttributes");
        Check(WorkflowObjectProperty, "WorkflowInstance.Instance");
        if (CompletionField is { } completion)
        {
            var success = completion.FieldType.GetProperty("Successful")?.PropertyType;
            var command = success?.GetProperty("Commands")?.PropertyType.GetGenericArguments().FirstOrDefault();
            if (success?.GetProperty("UsedInternalFlags") is null)
            {
                missing.Add("WorkflowActivationCompletion.Successful.UsedInternalFlags");
            }

            if (command is null)
            {
                missing.Add("WorkflowActivationCompletion.Successful.Commands");
            }
            else
            {
                foreach (var (variant, fields) in TapCommand.FieldsRead)
                {
                    var variantType = command.GetProperty(variant)?.PropertyType;
                    missing.AddRange(variantType is null
                        ? [$"WorkflowCommand.{variant}"]
                        : fields.Where(f => variantType.GetProperty(f) is null).Select(f => $"WorkflowCommand.{variant}.{f}"));
                }

                missing.AddRange(new[] { "UserMetadata", "VariantCase" }.Where(p => command.GetProperty(p) is null).Select(p => $"WorkflowCommand.{p}"));
            }
        }

        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                "The Temporalio SDK no longer has the non-public members the simulation engine reads " +
                $"(built against 1.22.0): {string.Join(", ", missing)}. Update WorkflowTaskTap for this SDK version.");
        }

        void Check(MemberInfo? member, string name)
        {
            if (member is null)
            {
                missing.Add(name);
            }
        }
    }

    /// <summary>Hooks the tap into replayer options; call before creating the replayer.</summary>
    public void Attach(WorkflowReplayerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Verify();
        options.WorkflowTaskStarting += OnStarting;
        options.WorkflowTaskCompleted += OnCompleted;
    }

    /// <summary>Forgets what the previous replay captured.</summary>
    public void Reset()
    {
        activations.Clear();
        current = null;
    }

    private void OnStarting(object? sender, WorkflowTaskStartingEventArgs e)
    {
        var instance = InstanceField!.GetValue(e);
        var replaying = (bool)IsReplayingProperty!.GetValue(instance)!;
        current = replaying ? null : new TapActivation(CompletionField!.GetValue(instance)!);
    }

    private void OnCompleted(object? sender, WorkflowTaskCompletedEventArgs e)
    {
        if (current is null)
        {
            return;
        }

        var instance = InstanceField!.GetValue(e);
        current.Finish(
            e.TaskFailureException,
            (string?)CurrentDetailsProperty!.GetValue(instance),
            (SearchAttributeCollection?)SearchAttributesProperty!.GetValue(instance),
            WorkflowObjectProperty!.GetValue(instance));
        activations.Add(current);
        current = null;
    }
}

/// <summary>One activation of the workflow's last task, as the SDK completed it.</summary>
public sealed class TapActivation(object completion)
{
    public Exception? TaskFailure { get; private set; }

    public string? CurrentDetails { get; private set; }

    public SearchAttributeCollection? SearchAttributes { get; private set; }

    /// <summary>The workflow class instance, for reading its query properties.</summary>
    public object? Workflow { get; private set; }

    /// <summary>Null when the activation failed (the SDK replaced the success with a failure).</summary>
    public IReadOnlyList<TapCommand>? Commands { get; private set; }

    public IReadOnlyList<uint> LangFlags { get; private set; } = [];

    internal void Finish(Exception? taskFailure, string? details, SearchAttributeCollection? attributes, object? workflow)
    {
        TaskFailure = taskFailure;
        CurrentDetails = details;
        SearchAttributes = attributes;
        Workflow = workflow;
        if (TapCommand.Read(completion, "Successful") is { } success)
        {
            Commands = ((IEnumerable)TapCommand.Read(success, "Commands")!).Cast<object>().Select(c => new TapCommand(c)).ToList();
            LangFlags = ((IEnumerable)TapCommand.Read(success, "UsedInternalFlags")!).Cast<uint>().ToList();
        }
    }
}

/// <summary>A bridge workflow command read by property name: <see cref="Kind"/> is the variant (e.g. <c>StartTimer</c>).</summary>
public sealed class TapCommand
{
    /// <summary>The command variants the engine turns into history events, and the fields it reads from each.</summary>
    internal static readonly IReadOnlyDictionary<string, string[]> FieldsRead = new Dictionary<string, string[]>
    {
        ["StartTimer"] = ["Seq", "StartToFireTimeout"],
        ["CancelTimer"] = ["Seq"],
        ["ScheduleActivity"] = ["Seq", "ActivityId", "ActivityType", "TaskQueue", "Arguments", "Headers", "ScheduleToCloseTimeout", "ScheduleToStartTimeout", "StartToCloseTimeout", "HeartbeatTimeout", "RetryPolicy"],
        ["RequestCancelActivity"] = ["Seq"],
        ["SetPatchMarker"] = ["PatchId", "Deprecated"],
        ["UpsertWorkflowSearchAttributes"] = ["SearchAttributes"],
        ["ModifyWorkflowProperties"] = ["UpsertedMemo"],
        ["CompleteWorkflowExecution"] = ["Result"],
        ["FailWorkflowExecution"] = ["Failure"],
        ["ContinueAsNewWorkflowExecution"] = ["WorkflowType", "TaskQueue", "Arguments", "Memo", "SearchAttributes"],
    };

    private readonly object variant;

    internal TapCommand(object command)
    {
        Kind = Read(command, "VariantCase")!.ToString()!;
        variant = Read(command, Kind) ?? throw new InvalidOperationException($"Workflow command without a {Kind} value.");
        UserMetadata = Read(command, "UserMetadata") as Temporalio.Api.Sdk.V1.UserMetadata;
    }

    public string Kind { get; }

    public Temporalio.Api.Sdk.V1.UserMetadata? UserMetadata { get; }

    public T Get<T>(string field) => (T)Read(variant, field)!;

    /// <summary>Repeated field as a list.</summary>
    public IReadOnlyList<T> GetList<T>(string field) => ((IEnumerable)Read(variant, field)!).Cast<T>().ToList();

    /// <summary>Map field as a dictionary.</summary>
    public IReadOnlyDictionary<string, T> GetMap<T>(string field) =>
        ((IEnumerable<KeyValuePair<string, T>>)Read(variant, field)!).ToDictionary(e => e.Key, e => e.Value);

    internal static object? Read(object target, string property) =>
        (target.GetType().GetProperty(property) ?? throw new InvalidOperationException($"{target.GetType().Name} has no {property}; see WorkflowTaskTap.Verify."))
            .GetValue(target);
}
