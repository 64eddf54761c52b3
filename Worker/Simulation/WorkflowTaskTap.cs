using System.Collections;
using System.Reflection;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Temporalio.Common;
using Temporalio.Worker;

namespace AbandonedCart.Worker.Simulation;

/// <summary>
/// Reads the commands a workflow task produced during a replay. Temporalio 1.21.1 exposes them only through
/// non-public members, because interceptors do not see patches or search-attribute upserts (see TESTING.md):
/// <c>WorkflowTaskEventArgs.workflowInstance</c> (the running <c>WorkflowInstance</c>), its field
/// <c>completion</c> (the bridge's <c>WorkflowActivationCompletion</c>, set before <c>WorkflowTaskStarting</c>
/// fires and cleared before <c>WorkflowTaskCompleted</c> fires, so it is taken at the start and read at the end),
/// and its properties <c>IsReplaying</c>, <c>CurrentDetails</c>, <c>TypedSearchAttributes</c> and <c>Instance</c>.
/// The completion itself is read through protobuf descriptors by field name. The SDK version is pinned in
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
            var descriptor = DescriptorOf(completion.FieldType);
            var success = descriptor?.FindFieldByName("successful")?.MessageType;
            var command = success?.FindFieldByName("commands")?.MessageType;
            if (success?.FindFieldByName("used_internal_flags") is null)
            {
                missing.Add("WorkflowActivationCompletion.successful.used_internal_flags");
            }

            if (command is null)
            {
                missing.Add("WorkflowActivationCompletion.successful.commands");
            }
            else
            {
                foreach (var (variant, fields) in TapCommand.FieldsRead)
                {
                    var field = command.FindFieldByName(variant);
                    missing.AddRange(field is null
                        ? [$"WorkflowCommand.{variant}"]
                        : fields.Where(f => field.MessageType.FindFieldByName(f) is null).Select(f => $"WorkflowCommand.{variant}.{f}"));
                }

                if (command.FindFieldByName("user_metadata") is null)
                {
                    missing.Add("WorkflowCommand.user_metadata");
                }
            }
        }

        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                "The Temporalio SDK no longer has the non-public members the simulation engine reads " +
                $"(built against 1.21.1): {string.Join(", ", missing)}. Update WorkflowTaskTap for this SDK version.");
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

    private static MessageDescriptor? DescriptorOf(Type type) =>
        type.GetProperty("Descriptor", BindingFlags.Static | BindingFlags.Public)?.GetValue(null) as MessageDescriptor;

    private void OnStarting(object? sender, WorkflowTaskStartingEventArgs e)
    {
        var instance = InstanceField!.GetValue(e);
        var replaying = (bool)IsReplayingProperty!.GetValue(instance)!;
        current = replaying ? null : new TapActivation((IMessage)CompletionField!.GetValue(instance)!);
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
public sealed class TapActivation(IMessage completion)
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
        var successful = completion.Descriptor.FindFieldByName("successful");
        if (successful.Accessor.GetValue(completion) is IMessage success && completion.Descriptor.Oneofs[0].Accessor.GetCaseFieldDescriptor(completion) == successful)
        {
            Commands = ((IList)success.Descriptor.FindFieldByName("commands").Accessor.GetValue(success))
                .Cast<IMessage>().Select(c => new TapCommand(c)).ToList();
            LangFlags = ((IList)success.Descriptor.FindFieldByName("used_internal_flags").Accessor.GetValue(success)).Cast<uint>().ToList();
        }
    }
}

/// <summary>A bridge workflow command read by field name: <see cref="Kind"/> is the oneof case (e.g. <c>start_timer</c>).</summary>
public sealed class TapCommand
{
    /// <summary>The command variants the engine turns into history events, and the fields it reads from each.</summary>
    internal static readonly IReadOnlyDictionary<string, string[]> FieldsRead = new Dictionary<string, string[]>
    {
        ["start_timer"] = ["seq", "start_to_fire_timeout"],
        ["cancel_timer"] = ["seq"],
        ["schedule_activity"] = ["seq", "activity_id", "activity_type", "task_queue", "arguments", "headers", "schedule_to_close_timeout", "schedule_to_start_timeout", "start_to_close_timeout", "heartbeat_timeout", "retry_policy"],
        ["request_cancel_activity"] = ["seq"],
        ["set_patch_marker"] = ["patch_id", "deprecated"],
        ["upsert_workflow_search_attributes"] = ["search_attributes"],
        ["modify_workflow_properties"] = ["upserted_memo"],
        ["complete_workflow_execution"] = ["result"],
        ["fail_workflow_execution"] = ["failure"],
        ["continue_as_new_workflow_execution"] = ["workflow_type", "task_queue", "arguments", "memo", "search_attributes"],
    };

    private readonly IMessage variant;

    internal TapCommand(IMessage command)
    {
        var field = command.Descriptor.Oneofs.Single(o => o.Name == "variant").Accessor.GetCaseFieldDescriptor(command);
        Kind = field?.Name ?? "none";
        variant = (IMessage)field!.Accessor.GetValue(command);
        UserMetadata = command.Descriptor.FindFieldByName("user_metadata").Accessor.GetValue(command) as Temporalio.Api.Sdk.V1.UserMetadata;
    }

    public string Kind { get; }

    public Temporalio.Api.Sdk.V1.UserMetadata? UserMetadata { get; }

    public T Get<T>(string field) => (T)variant.Descriptor.FindFieldByName(field).Accessor.GetValue(variant);

    /// <summary>Repeated message field as a list.</summary>
    public IReadOnlyList<T> GetList<T>(string field) => ((IList)variant.Descriptor.FindFieldByName(field).Accessor.GetValue(variant)).Cast<T>().ToList();

    /// <summary>Map field as a dictionary.</summary>
    public IReadOnlyDictionary<string, T> GetMap<T>(string field) =>
        ((IDictionary)variant.Descriptor.FindFieldByName(field).Accessor.GetValue(variant)).Cast<DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (T)e.Value!);
}
